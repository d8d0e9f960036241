#!/bin/bash
# builtin_json end to end (issue 17): `bpfaudit daemon --readlog` (takes no
# audit pid) with a plugins.d file for builtin_json writes JSON lines while a
# workload runs under this test's rule; a test-owned rsyslogd, configured
# with dist/rsyslog/bpfaudit-json.conf (the README's example, paths moved
# into the test's directory), reads the JSON file with imfile and writes
# what it got to a file. Checked, with Python's json module as the parser:
#   - what rsyslog wrote is the daemon's JSON file, line for line, and every
#     line is one JSON object;
#   - those objects are the log's events as stock ausearch 3.0.9 groups them
#     (`ausearch --raw` of the daemon's log): each event exactly once, the
#     same records in the same order, each record's fields those of the raw
#     line as parsed here (values unquoted, hex-encoded strings decoded);
#   - every workload event (the rule's key, from a program whose name needs
#     hex encoding) is there once, and no EOE record is.
# Restores enabled, backlog_limit and backlog_wait_time and deletes its rule
# on every exit. Run it under `flock /tmp/bpfaudit-kernel.lock` on a shared host.
# usage: json_sink.sh BIN_DIR SOURCE_DIR
set -u
BIN_DIR=$1
SRC=$2
BIN=$BIN_DIR/bpfaudit
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: stock auditctl missing"; exit 77; }
[ -x /sbin/ausearch ] || { echo "SKIP: stock /sbin/ausearch missing"; exit 77; }
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { echo "SKIP: rsyslogd missing (Debian package rsyslog)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
export TZ=UTC LC_ALL=C

W=$(mktemp -d /tmp/bpfaudit-json.XXXXXX)
chmod 755 "$W"
KEY=bpfaudit-json-$$
# The workload program under a name with a space: comm, exe and proctitle
# come hex-encoded, and the JSON has them decoded.
FLOOD="$W/fl ood"
cp "$BIN_DIR/syscall_flood" "$FLOOD"
RULE=(always,exit -F arch=b64 -S getppid -F key=$KEY)
read -r OLD_ENABLED < <(auditctl -s | awk '$1=="enabled"{print $2}')
read -r OLD_BACKLOG < <(auditctl -s | awk '$1=="backlog_limit"{print $2}')
read -r OLD_WAIT < <(auditctl -s | awk '$1=="backlog_wait_time"{print $2}')
DPID= RPID=
fails=0 passes=0

cleanup() {
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  [ -n "$RPID" ] && kill -TERM "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  auditctl -d "${RULE[@]}" >/dev/null 2>&1
  auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
  auditctl --backlog_wait_time "$OLD_WAIT" >/dev/null 2>&1
  auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# The daemon: ENRICHED with node= (the dispatcher's protocol 1, the line
# with its interpreted part), the JSON file in a directory it creates.
mkdir -p "$W/conf/plugins.d" "$W/log"
cat > "$W/conf/auditd.conf" <<EOF
log_file = $W/log/audit.log
log_format = ENRICHED
name_format = user
name = jsontest
space_left = 2
admin_space_left = 1
plugin_dir = $W/conf/plugins.d
EOF
chmod 640 "$W/conf/auditd.conf"
sed -e "s|^active = no|active = yes|" -e "s|/var/log/bpfaudit/audit.json|$W/json/audit.json|" \
  "$SRC/dist/audit/plugins.d/json.conf" > "$W/conf/plugins.d/json.conf"
chmod 640 "$W/conf/plugins.d/json.conf"

# rsyslog: the README's example, its paths in this test's directory, and a
# work directory of its own for imfile's state.
check "README carries dist/rsyslog/bpfaudit-json.conf verbatim" python3 - "$SRC/README.md" \
  "$SRC/dist/rsyslog/bpfaudit-json.conf" <<'EOF'
import sys
readme = open(sys.argv[1]).read()
conf = open(sys.argv[2]).read()
indented = "".join("    " + l if l.strip() else l for l in conf.splitlines(True))
sys.exit(0 if indented in readme else 1)
EOF
mkdir -p "$W/rsyslog"
{ echo "global(workDirectory=\"$W/rsyslog\")"
  sed -e "s|/var/log/bpfaudit/audit.json|$W/json/audit.json|" \
      -e "s|/var/log/bpfaudit/shipped.json|$W/shipped.json|" "$SRC/dist/rsyslog/bpfaudit-json.conf"
} > "$W/rsyslog.conf"
auditctl -e 1 >/dev/null
auditctl -b 8192 >/dev/null
"$BIN" daemon -f -c "$W/conf" --readlog --no-collector 2>"$W/daemon.err" &
DPID=$!
for _ in $(seq 50); do grep -q "Init complete" "$W/daemon.err" && break; sleep 0.1; done
check "daemon started" grep -q "Init complete" "$W/daemon.err"
check "json plugin initialized" grep -q "json plugin initialized" "$W/daemon.err"
# rsyslog once the file exists (imfile warns about a missing one).
"$RSYSLOGD" -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>"$W/rsyslog.err" &
RPID=$!

auditctl -a "${RULE[@]}" >/dev/null || { echo "FAIL: cannot add rule"; exit 1; }
N=300
"$FLOOD" $N > "$W/flood.pid"
WPID=$(head -1 "$W/flood.pid")
auditctl -m "op=bpfaudit-json-test res=success"
auditctl -d "${RULE[@]}" >/dev/null
# Until every workload event is in the log (the kernel may still be sending).
for _ in $(seq 100); do
  got=$(grep -a "key=\"$KEY\"" "$W/log/audit.log" | grep -ac " pid=$WPID ")
  [ "$got" -ge $N ] && break
  sleep 0.1
done
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
check "daemon exits 0" [ $rc = 0 ]
check "JSON file created 0600" [ "$(stat -c %a "$W/json/audit.json")" = 600 ]
# rsyslog has it all when its file has as many lines as the daemon's.
want=$(wc -l < "$W/json/audit.json")
for _ in $(seq 200); do
  [ -f "$W/shipped.json" ] && [ "$(wc -l < "$W/shipped.json")" -ge "$want" ] && break
  sleep 0.1
done
kill -TERM "$RPID"; wait "$RPID"; RPID=
check "rsyslog's copy is the daemon's JSON file ($want lines)" cmp -s "$W/json/audit.json" "$W/shipped.json"
[ -s "$W/rsyslog.err" ] && { echo "rsyslogd said:"; head -20 "$W/rsyslog.err"; }

/sbin/ausearch --raw -if "$W/log/audit.log" > "$W/stock.raw" 2>"$W/stock.err"
check "stock ausearch reads the log" [ -s "$W/stock.raw" ]

check "rsyslog's objects are the log's events as stock groups them" \
  python3 - "$W/shipped.json" "$W/stock.raw" "$KEY" "$WPID" "$N" <<'EOF'
import json, re, sys
shipped, stock_raw, key, wpid, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
fails = []

def pairs(items):
    names = [k for k, _ in items]
    if len(set(names)) != len(names):
        fails.append("duplicate names %r" % names)
    return dict(items)  # keeps their order

objs = []
for i, line in enumerate(open(shipped, encoding="ascii")):
    o = json.loads(line, object_pairs_hook=pairs, parse_float=str)  # raises on a bad line
    if not isinstance(o, dict):
        fails.append("line %d is not an object" % (i + 1))
        continue
    objs.append(o)

# The schema's decoded fields (README "ausearch"): these names, and EXECVE's
# arguments, are hex when the kernel found them unsafe.
ENCODED = {"comm", "exe", "name", "cwd", "path", "proctitle", "acct", "cmd", "key", "data",
           "ocomm", "sig"}
HEX = re.compile(r"^([0-9A-Fa-f]{2})+$")
HEAD = re.compile(r"^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+\.\d{3}):(\d+)\): ?(.*)$")

def fields(rtype, body):
    # A user message's msg='...' is read as its fields.
    m = re.search(r"msg='(.*)'$", body)
    if m:
        body = body[:m.start()] + m.group(1)
    out = []
    count = {}
    for tok in body.split():
        if "=" not in tok:
            continue
        name, value = tok.split("=", 1)
        execve_arg = rtype == "EXECVE" and name != "argc" and "_len" not in name
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        elif (name in ENCODED or execve_arg) and value != "(null)" and HEX.match(value):
            value = bytes.fromhex(value).decode("latin-1")
        # The schema's rule for a repeated name: NAME_2, NAME_3...
        count[name] = count.get(name, 0) + 1
        out.append([name if count[name] == 1 else "%s_%d" % (name, count[name]), value])
    return out

events = {}
order = []
for line in open(stock_raw, encoding="latin-1"):
    line = line.rstrip("\n").split("\x1d")[0]
    m = HEAD.match(line)
    if not m:
        fails.append("stock line not parsed: " + line[:120])
        continue
    node, rtype, t, serial, body = m.groups()
    ident = (node, t, serial)
    if ident not in events:
        events[ident] = []
        order.append(ident)
    events[ident].append({"type": rtype, "fields": fields(rtype, body)})

seen = {}
for o in objs:
    ident = (o.get("node"), o["time"], str(o["serial"]))
    seen[ident] = seen.get(ident, 0) + 1
    recs = [{"type": r["type"], "fields": [list(p) for p in r["fields"].items()]}
            for r in o["records"]]
    if any(r["type"] == "EOE" for r in recs):
        fails.append("EOE in %r" % (ident,))
    want = events.get(ident)
    if want is None:
        fails.append("JSON event not in the log: %r" % (ident,))
    elif want != recs:
        fails.append("event %r differs:\n  json  %r\n  stock %r" % (ident, recs, want))
for ident in order:
    if seen.get(ident, 0) != 1:
        fails.append("log event %r is in the JSON %d times" % (ident, seen.get(ident, 0)))

work = [o for o in objs for r in o["records"]
        if r["type"] == "SYSCALL" and r["fields"].get("key") == key
        and r["fields"].get("pid") == wpid]
if len(work) < n:
    fails.append("workload events: %d of %d" % (len(work), n))
for o in work[:1]:
    f = o["records"][0]["fields"]
    if f.get("comm") != "fl ood" or not f.get("exe", "").endswith("/fl ood"):
        fails.append("hex-encoded comm/exe not decoded: %r %r" % (f.get("comm"), f.get("exe")))
if not any(r["type"] == "USER" for o in objs for r in o["records"]):
    fails.append("the auditctl -m message is missing")
print("%d objects, %d log events, %d workload events" % (len(objs), len(order), len(work)))
for f in fails[:20]:
    print(f)
sys.exit(1 if fails else 0)
EOF

echo "passed $passes, failed $fails"
[ $fails = 0 ]
