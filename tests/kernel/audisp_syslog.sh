#!/bin/bash
# Stock audisp-syslog (Debian audispd-plugins 3.0.9) as a plugin of ours
# reaches a test-owned rsyslogd (issue 17). audisp-syslog calls syslog(3),
# which writes to /dev/log; this host has none, and the test must not make
# one, so everything runs in a private mount namespace whose /dev is a tmpfs
# holding the few nodes the programs open (bound from the real /dev) and
# rsyslog's imuxsock socket at /dev/log. `bpfaudit daemon --readlog` (no
# audit pid) writes the log and feeds the plugin (format=string, RAW) while
# a workload runs under this test's rule. Checked from first principles:
#   - every line of the daemon's log reached rsyslog once, as audisp-syslog
#     sends it (the record line itself), in the log's order;
#   - the only other messages are EOE records (plugins get EOE, the log does
#     not), one per SYSCALL event of the log, with that event's time:serial;
#   - every workload event (the rule's key) is there.
# Restores enabled and backlog_limit and deletes its rule on every exit.
# Run it under `flock /tmp/bpfaudit-kernel.lock` on a shared host.
# usage: audisp_syslog.sh BIN_DIR
set -u
BIN_DIR=$1
BIN=$BIN_DIR/bpfaudit
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: stock auditctl missing"; exit 77; }
[ -x /sbin/audisp-syslog ] || { echo "SKIP: /sbin/audisp-syslog missing (Debian package audispd-plugins)"; exit 77; }
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { echo "SKIP: rsyslogd missing (Debian package rsyslog)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare missing"; exit 77; }
export LC_ALL=C

if [ "${1:-}" != --inside ]; then
  W=$(mktemp -d /tmp/bpfaudit-syslog.XXXXXX)
  chmod 755 "$W"
  KEY=bpfaudit-syslog-$$
  RULE=(always,exit -F arch=b64 -S getppid -F key=$KEY)
  read -r OLD_ENABLED < <(auditctl -s | awk '$1=="enabled"{print $2}')
  read -r OLD_BACKLOG < <(auditctl -s | awk '$1=="backlog_limit"{print $2}')
  cleanup() {
    auditctl -d "${RULE[@]}" >/dev/null 2>&1
    auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
    auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$W"
  }
  # A signal (the vm guest's per-test timeout sends TERM) ends the script:
  # a handler that returned would let it go on without its directory.
  trap cleanup EXIT
  trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM
  auditctl -e 1 >/dev/null
  auditctl -b 8192 >/dev/null
  auditctl -a "${RULE[@]}" >/dev/null || { echo "FAIL: cannot add rule"; exit 1; }
  # The rule stays until cleanup: the inside part runs the workload.
  W=$W KEY=$KEY unshare -m --propagation private "$0" --inside "$BIN_DIR"
  exit $?
fi

# --- inside the private mount namespace ---
BIN_DIR=$2
BIN=$BIN_DIR/bpfaudit
fails=0 passes=0
ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

mkdir -p "$W/olddev"
mount --rbind /dev "$W/olddev"
mount -t tmpfs -o mode=755 bpfaudit-dev /dev
for n in null zero urandom random full; do
  touch "/dev/$n" && mount --bind "$W/olddev/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd

DPID= RPID=
finish() {
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  [ -n "$RPID" ] && kill -TERM "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap finish EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM

# rsyslog: the local socket at /dev/log, each message of the plugin (its tag
# is its program name) as tag and text per line.
mkdir -p "$W/rsyslog"
cat > "$W/rsyslog.conf" <<EOF
global(workDirectory="$W/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log")
template(name="msgonly" type="string" string="%syslogtag%%msg%\n")
if \$programname == "audisp-syslog" then action(type="omfile" file="$W/syslog.out" template="msgonly")
EOF
"$RSYSLOGD" -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>"$W/rsyslog.err" &
RPID=$!
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
check "rsyslog listens on /dev/log" [ -S /dev/log ]

mkdir -p "$W/conf/plugins.d" "$W/log"
cat > "$W/conf/auditd.conf" <<EOF
log_file = $W/log/audit.log
log_format = RAW
space_left = 2
admin_space_left = 1
plugin_dir = $W/conf/plugins.d
EOF
chmod 640 "$W/conf/auditd.conf"
cat > "$W/conf/plugins.d/syslog.conf" <<EOF
active = yes
direction = out
path = /sbin/audisp-syslog
type = always
args = LOG_INFO
format = string
EOF
chmod 640 "$W/conf/plugins.d/syslog.conf"
"$BIN" daemon -f -c "$W/conf" --readlog --no-collector 2>"$W/daemon.err" &
DPID=$!
for _ in $(seq 50); do grep -q "Init complete" "$W/daemon.err" && break; sleep 0.1; done
check "daemon started" grep -q "Init complete" "$W/daemon.err"

N=200
"$BIN_DIR/syscall_flood" $N > "$W/flood.pid"
WPID=$(head -1 "$W/flood.pid")
for _ in $(seq 100); do
  got=$(grep -a "key=\"$KEY\"" "$W/log/audit.log" 2>/dev/null | grep -ac " pid=$WPID ")
  [ "$got" -ge $N ] && break
  sleep 0.1
done
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
check "daemon exits 0" [ $rc = 0 ]
# rsyslog has it when its file stops growing.
last=-1
for _ in $(seq 100); do
  cur=$(wc -l < "$W/syslog.out" 2>/dev/null || echo 0)
  [ "$cur" = "$last" ] && [ "$cur" -gt 0 ] && break
  last=$cur; sleep 0.2
done
kill -TERM "$RPID"; wait "$RPID"; RPID=
[ -s "$W/rsyslog.err" ] && { echo "rsyslogd said:"; head -5 "$W/rsyslog.err"; }

check "syslog got every log line once, in order, plus one EOE per SYSCALL event" \
  python3 - "$W/log/audit.log" "$W/syslog.out" "$KEY" "$WPID" "$N" <<'EOF'
import re, sys
log = [l.rstrip("\n") for l in open(sys.argv[1], encoding="latin-1")]
key, wpid, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
msgs = []
fails = []
for l in open(sys.argv[2], encoding="latin-1"):
    l = l.rstrip("\n")
    tag = "audisp-syslog:"
    if not l.startswith(tag):
        fails.append("not from audisp-syslog: " + l[:100]); continue
    m = l[len(tag):].lstrip(" ")
    # The plugin's own start-up line (facility 8 = LOG_USER, priority 6 = LOG_INFO).
    if m == "syslog plugin initialized with facility 8 and priority 6":
        continue
    msgs.append(m)
stamp = re.compile(r"msg=audit\((\d+\.\d+:\d+)\)")
eoe = [m for m in msgs if m.startswith("type=EOE ")]
rest = [m for m in msgs if not m.startswith("type=EOE ")]
if rest != log:
    fails.append("non-EOE messages (%d) are not the log's lines (%d)" % (len(rest), len(log)))
    for a, b in zip(rest, log):
        if a != b:
            fails.append("  first difference:\n   syslog %r\n   log    %r" % (a[:160], b[:160])); break
sys_ids = [stamp.search(l).group(1) for l in log if l.startswith("type=SYSCALL ")]
eoe_ids = [stamp.search(m).group(1) for m in eoe]
if sorted(eoe_ids) != sorted(sys_ids):
    fails.append("EOE stamps (%d) are not the SYSCALL events' (%d)" % (len(eoe_ids), len(sys_ids)))
work = [l for l in rest if l.startswith("type=SYSCALL ") and ('key="%s"' % key) in l
        and (" pid=%s " % wpid) in l]
if len(work) < n:
    fails.append("workload events via syslog: %d of %d" % (len(work), n))
print("%d messages: %d log lines, %d EOE, %d workload events" % (len(msgs), len(rest), len(eoe), len(work)))
for f in fails[:10]: print(f)
sys.exit(1 if fails else 0)
EOF
echo "passed $passes, failed $fails"
[ $fails = 0 ]
