#!/bin/bash
# Plugins, stock auditd 3.0.9 against `bpfaudit daemon` (issue 17). For three
# auditd.conf variants (ENRICHED; RAW; RAW with name_format=user, i.e. the
# dispatcher's protocol 1, 0 and 1 with node=), stock `/sbin/auditd -f -c DIR`
# runs first and `bpfaudit daemon -f -c DIR` second, each with its own copy of
# the same auditd.conf (log in a temp dir, plugin_dir a temp plugins.d) and
# the same test plugin twice, format=string and format=binary. The same
# workload runs under each (a getppid rule under this test's key, three
# getppid calls, an `auditctl -m` message, the rule's removal), and what the
# plugin received from each is compared record for record, times, serials,
# pids and syscall arguments aside: string lines byte for byte, binary frames
# header (ver, hlen, type) and data. Also compared: the plugin's process
# (environment, blocked and ignored signals, open fds), and the logs (no EOE
# in either, the same records otherwise).
#
# Both daemons take the audit pid: skipped (77) unless it is free. Stock
# writes and removes /var/run/auditd.pid. Restores enabled, backlog_limit and
# backlog_wait_time, deletes its rule, on every exit.
# usage: plugins_diff.sh BIN_DIR
set -u
BIN_DIR=$1
BIN=$BIN_DIR/bpfaudit
STOCK=/sbin/auditd
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: stock auditctl missing"; exit 77; }
[ -x "$STOCK" ] || { echo "SKIP: stock $STOCK missing"; exit 77; }
[ -x "$BIN_DIR/plugin_frames" ] || { echo "SKIP: $BIN_DIR/plugin_frames not built"; exit 77; }
export TZ=UTC LC_ALL=C

pid_now=$(auditctl -s | awk '$1=="pid"{print $2}')
if [ "$pid_now" != 0 ]; then
  echo "SKIP: audit pid $pid_now is held by another daemon; both stock auditd and ours need it"
  exit 77
fi

W=$(mktemp -d /tmp/bpfaudit-plugins.XXXXXX)
chmod 755 "$W"
KEY=bpfaudit-plugins-$$
# getppid from the test's own program only: shells call it too (dash at start).
RULE=(always,exit -F arch=b64 -S getppid -F exe=$(readlink -f "$BIN_DIR/syscall_flood") -F key=$KEY)
read -r OLD_ENABLED < <(auditctl -s | awk '$1=="enabled"{print $2}')
read -r OLD_BACKLOG < <(auditctl -s | awk '$1=="backlog_limit"{print $2}')
read -r OLD_WAIT < <(auditctl -s | awk '$1=="backlog_wait_time"{print $2}')
RUN_DIR_WAS=$([ -d /run/bpfaudit ] && echo yes)
DPID=
fails=0
passes=0

cleanup() {
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  auditctl -d "${RULE[@]}" >/dev/null 2>&1
  auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
  auditctl --backlog_wait_time "$OLD_WAIT" >/dev/null 2>&1
  auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  # The collector's socket directory, when this test's daemon made it.
  [ -z "$RUN_DIR_WAS" ] && rmdir /run/bpfaudit 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
# The children of a process, from /proc (no procps needed).
children() { local s; for s in /proc/[0-9]*/stat; do
  [ "$(sed -n 's/.*) . \([0-9]*\) .*/\1/p' "$s" 2>/dev/null)" = "$1" ] && { s=${s#/proc/}; echo "${s%/stat}"; }
  done; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# The test plugin: says what process it was started as, then appends its
# stdin to $1 until the daemon closes it. HUP and TERM are ignored so that
# both daemons' shutdowns end it the same way, by end of input.
# Its signal mask is read with builtins before anything is forked (dash
# blocks every signal around each vfork, so a child reading the shell's
# status could see that instead).
cat > "$W/plugin" <<'EOF'
#!/bin/sh
{ while read -r l; do case $l in SigBlk*|SigIgn*) echo "$l" ;; esac; done < /proc/$$/status
  echo "-- argc $#"; export -p; echo "-- fds"; /bin/ls /proc/$$/fd; } > "$1.proc"
trap '' HUP TERM
/bin/cat >> "$1"
echo done > "$1.done"
EOF
chmod 0750 "$W/plugin"

run_side() {  # run_side stock|ours TAG auditd.conf-lines...
  local side=$1 tag=$2; shift 2
  local d=$W/$tag/$side f
  mkdir -p "$d/log" "$d/plugins.d"
  { echo "log_file = $d/log/audit.log"
    echo "space_left = 2"
    echo "admin_space_left = 1"
    echo "plugin_dir = $d/plugins.d"
    for l in "$@"; do echo "$l"; done; } > "$d/auditd.conf"
  chmod 640 "$d/auditd.conf"
  for f in string binary; do
    printf 'active = yes\ndirection = out\npath = %s\ntype = always\nargs = %s\nformat = %s\n' \
      "$W/plugin" "$d/$f.out" "$f" > "$d/plugins.d/$f.conf"
    chmod 640 "$d/plugins.d/$f.conf"
  done
  printf 'active = yes\ndirection = out\npath = builtin_af_unix\ntype = builtin\nargs = 0640 %s\nformat = string\n' \
    "$d/af.sock" > "$d/plugins.d/af_unix.conf"
  chmod 640 "$d/plugins.d/af_unix.conf"
  # Stock's -f writes events to stdout instead of the log: both run with
  # -n (no fork, messages to syslog, stdio on /dev/null, cwd /), so each is
  # ready once DAEMON_START is in its log.
  if [ "$side" = stock ]; then
    "$STOCK" -n -c "$d" 2>"$d/err" &
  else
    "$BIN" daemon -n -c "$d" --no-collector 2>"$d/err" &
  fi
  DPID=$!
  local started=
  for _ in $(seq 100); do
    grep -aq "type=DAEMON_START " "$d/log/audit.log" 2>/dev/null && { started=1; break; }
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$started" ]; then
    bad "$tag/$side: daemon did not start"; cat "$d/err"
    kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
    return 1
  fi
  # The plugins' own start-up (the shell calls getppid) is not the workload's.
  for _ in $(seq 50); do
    [ -s "$d/string.out.proc" ] && [ -s "$d/binary.out.proc" ] && break
    sleep 0.1
  done
  # builtin_af_unix: stock serves one reader, ours two at once.
  local readers=1 r
  [ "$side" = ours ] && readers=2
  for r in $(seq $readers); do
    "$BIN_DIR/plugin_frames" --read-socket "$d/af.sock" "$d/af$r.out" &
  done
  for _ in $(seq 50); do
    [ "$(ls "$d"/af*.out.connected 2>/dev/null | wc -l)" = $readers ] && break
    sleep 0.1
  done
  sleep 0.3  # accepted by the daemon's loop
  auditctl -a "${RULE[@]}" >/dev/null
  "$BIN_DIR/syscall_flood" 3 > "$d/flood.pid"
  auditctl -m "bpfaudit plugin test $KEY" >/dev/null
  auditctl -d "${RULE[@]}" >/dev/null
  # Stock's dispatcher thread writes to plugins behind the log.
  sleep 1
  stat -c %a "$d/af.sock" > "$d/af.mode"
  kill -TERM "$DPID"; wait "$DPID"; local rc=$?; DPID=
  check "$tag/$side: daemon exits 0 on SIGTERM (rc=$rc)" [ $rc = 0 ]
  for _ in $(seq 50); do
    [ -e "$d/string.out.done" ] && [ -e "$d/binary.out.done" ] && break
    sleep 0.1
  done
  check "$tag/$side: both plugins ran to end of input" \
    bash -c "[ -e '$d/string.out.done' ] && [ -e '$d/binary.out.done' ]"
}

# The workload's records (those of events with a record naming the key) and
# DAEMON_START, with each event's time and serial replaced by its ordinal and
# the values that differ from run to run (pids, getppid's result, register
# garbage in a0-a3, binary frame sizes, which follow the pids' digits) masked.
workload() {
  awk -v key="$KEY" '
    { id = ""
      if (match($0, /audit\([0-9.]+:[0-9]+\)/)) id = substr($0, RSTART, RLENGTH)
      line[NR] = $0; ids[NR] = id
      if (id != "" && (index($0, key) || $0 ~ /type=DAEMON_START |type=1200 /)) want[id] = 1 }
    END { n = 0
      for (i = 1; i <= NR; i++) {
        if (!(ids[i] in want)) continue
        if (!(ids[i] in ord)) ord[ids[i]] = ++n
        l = line[i]
        sub(/audit\([0-9.]+:[0-9]+\)/, "audit(T:" ord[ids[i]] ")", l)
        print l } }' "$1" |
    sed -E 's/ (pid|ppid|exit)=[0-9-]+/ \1=N/g; s/ a([0-3])=[0-9a-f]+/ a\1=X/g; s/ size=[0-9]+ / size=N /'
}

# Each binary frame's size is the length of its data (protocol 1's lines
# and protocol 0's payloads are all short here).
sizes_match() {
  awk '{ s = $4; sub(/^size=/, "", s); d = $0; for (i = 0; i < 4; i++) sub(/^[^ ]+ /, "", d)
         if (length(d) != s) { print "size " s " for " length(d) " bytes: " $0; bad = 1 } }
       END { exit bad }' "$1"
}

compare() {  # compare TAG
  local tag=$1 s=$W/$1/stock o=$W/$1/ours side
  for side in stock ours; do
    local d=$W/$tag/$side
    [ -e "$d/binary.out" ] || continue
    "$BIN_DIR/plugin_frames" "$d/binary.out" > "$d/binary.txt"
    check "$tag/$side: binary stream is whole frames of 16+8970 bytes" [ $? = 0 ]
    check "$tag/$side: binary frame sizes are their data's length" sizes_match "$d/binary.txt"
    workload "$d/string.out" > "$d/string.norm"
    workload "$d/binary.txt" > "$d/binary.norm"
    workload "$d/log/audit.log" > "$d/log.norm"
  done
  local n; n=$(grep -c "key=\"$KEY\"" "$s/string.norm")
  check "$tag: stock's plugin got the workload ($n keyed records)" [ "$n" -ge 5 ]
  check "$tag: string plugin got what stock gives it ($(wc -l < "$s/string.norm") records)" \
    diff "$s/string.norm" "$o/string.norm"
  check "$tag: binary plugin got what stock gives it ($(wc -l < "$s/binary.norm") frames)" \
    diff "$s/binary.norm" "$o/binary.norm"
  local eoe; eoe=$(grep -c 'type=EOE' "$o/string.norm")
  check "$tag: EOE reaches the plugin ($eoe)" [ "$eoe" -ge 3 ]
  workload "$s/af1.out" > "$s/af1.norm"
  workload "$o/af1.out" > "$o/af1.norm"
  workload "$o/af2.out" > "$o/af2.norm"
  check "$tag: builtin_af_unix reader got what stock's gets ($(wc -l < "$s/af1.norm") records)" \
    bash -c "[ -s '$s/af1.norm' ] && diff '$s/af1.norm' '$o/af1.norm'"
  check "$tag: a second af_unix reader at once got the same" diff "$o/af1.norm" "$o/af2.norm"
  check "$tag: af_unix socket mode from args as stock's ($(cat "$o/af.mode" 2>/dev/null))" \
    bash -c "[ -s '$o/af.mode' ] && diff '$s/af.mode' '$o/af.mode'"
  check "$tag: af_unix socket removed at exit, as stock" bash -c "[ ! -e '$s/af.sock' ] && [ ! -e '$o/af.sock' ]"
  check "$tag: no EOE in either log" bash -c "! grep -aq 'type=EOE' '$s/log/audit.log' '$o/log/audit.log'"
  check "$tag: the log has the workload's records as stock's ($(wc -l < "$s/log.norm"))" \
    diff "$s/log.norm" "$o/log.norm"
  # The plugin's process: the same environment (empty: what the shell set)
  # and arguments as stock's; no signal blocked (stock's plugins inherit the
  # mask of the thread that restarted them), SIGPIPE ignored (stock's plugins
  # also inherit its other ignored signals), no descriptor but 0-2 of ours
  # (stock closes 3-23 only: its plugins were seen holding fd 251).
  check "$tag: the plugin's environment and arguments as stock's" \
    diff <(sed -n '/^-- argc/,/^-- fds/p' "$s/string.out.proc") <(sed -n '/^-- argc/,/^-- fds/p' "$o/string.out.proc")
  check "$tag: no signal blocked in the plugin" grep -qx 'SigBlk:.0*' "$o/string.out.proc"
  local ign; ign=$(sed -n 's/^SigIgn:.//p' "$o/string.out.proc")
  check "$tag: SIGPIPE ignored in the plugin (SigIgn $ign)" bash -c "(( 0x$ign & 0x1000 ))"
  check "$tag: the plugin's fds are a subset of stock's plugin's (the shell's own and 0-2)" \
    bash -c "[ -z \"\$(comm -13 <(sed '1,/^-- fds/d' '$s/string.out.proc' | sort) <(sed '1,/^-- fds/d' '$o/string.out.proc' | sort))\" ]"
}

for tag in enriched raw node; do
  case $tag in
    enriched) lines=("log_format = ENRICHED") ;;
    raw) lines=("log_format = RAW") ;;
    node) lines=("log_format = RAW" "name_format = user" "name = plugbox") ;;
  esac
  run_side stock "$tag" "${lines[@]}" && run_side ours "$tag" "${lines[@]}" && compare "$tag"
done
echo "--- the plugin's process (ours, enriched):"; cat "$W/enriched/ours/string.out.proc" 2>/dev/null

# --- ours alone: a plugin that never reads, one killed three times, SIGHUP --
# A stuck plugin must cost only its own events: the log and a plugin beside
# it get all of a 3000-event flood, the stuck one's drops are counted in the
# log (op=plugin-drop) and said as overflow_action=syslog says them.
d=$W/alone
mkdir -p "$d/log" "$d/plugins.d"
printf '#!/bin/sh\nexec /bin/sleep 1000000\n' > "$W/stuck"
printf '#!/bin/sh\nexec /bin/cat >> "$1"\n' > "$W/catonly"
# Not exec'd, so that its command line names its output; killed with its cat.
printf '#!/bin/sh\n/bin/cat >> "$1"\n' > "$W/catkeep"
chmod 0750 "$W/stuck" "$W/catonly" "$W/catkeep"
{ echo "log_file = $d/log/audit.log"; echo "space_left = 2"; echo "admin_space_left = 1"
  echo "plugin_dir = $d/plugins.d"; echo "q_depth = 99999"; echo "overflow_action = syslog"
  echo "max_restarts = 5"; echo "log_format = RAW"; } > "$d/auditd.conf"
chmod 640 "$d/auditd.conf"
plug() {  # plug NAME PROGRAM [ARG]
  { echo "active = yes"; echo "path = $2"; [ -n "${3:-}" ] && echo "args = $3"; echo "format = string"; } \
    > "$d/plugins.d/$1.conf"
  chmod 640 "$d/plugins.d/$1.conf"
}
# q_depth at stock's maximum, so that the plugin beside the stuck one keeps
# up even when this shared host's CPUs are busy; the flood makes 105000 records.
FLOOD=35000
plug stuck "$W/stuck"
plug beside "$W/catonly" "$d/beside.out"
plug restart "$W/catkeep" "$d/restart.out"
auditctl -b 8192 >/dev/null
# eBPF records reach plugins too: autrace sends to the collector socket when
# one listens there (only when no other collector does).
COLL=/run/bpfaudit/collector.sock
coll_args=(--no-collector)
[ -e "$COLL" ] || coll_args=(--collector "$COLL")
"$BIN" daemon -f -c "$d" "${coll_args[@]}" 2>"$d/err" &
DPID=$!
for _ in $(seq 100); do grep -q "Init complete" "$d/err" && break; sleep 0.1; done
auditctl -a "${RULE[@]}" >/dev/null
FPID=$("$BIN_DIR/syscall_flood" $FLOOD | head -1)
# The restarts below are not to fall in the flood's drain (a plugin being
# restarted misses what overflows its queue meanwhile, as it should).
for _ in $(seq 100); do
  [ "$(grep -a " pid=$FPID " "$d/log/audit.log" | grep -ac '^type=SYSCALL')" -ge $FLOOD ] && break
  sleep 0.1
done
if [ "${coll_args[0]}" = --collector ]; then
  for _ in $(seq 50); do [ -S "$COLL" ] && break; sleep 0.1; done
  "$BIN_DIR/autrace" /bin/true > "$d/autrace.out" 2>&1
  TPID=$(sed -n "s/.*-p \([0-9]*\)'.*/\1/p" "$d/autrace.out" | head -1)
  sleep 1  # the collector holds records 200 ms to order them
else
  echo "NOTE: $COLL exists (another collector runs?): autrace-to-plugin case not run"
fi
# Children of our daemon running PROGRAM (never by name: others' processes).
child_running() { local c; for c in $(children "$DPID"); do
  tr '\0' ' ' < /proc/$c/cmdline 2>/dev/null | grep -q "$1" && echo "$c"; done; }
restarted=0
for i in 1 2 3; do
  old=$(child_running restart.out)
  [ -n "$old" ] && kill -9 $(children "$old") "$old" 2>/dev/null
  sleep 0.3
  auditctl -m "restart $i $KEY" >/dev/null
  for _ in $(seq 50); do
    new=$(child_running restart.out)
    [ -n "$new" ] && [ "$new" != "$old" ] && { restarted=$((restarted + 1)); break; }
    sleep 0.1
  done
done
sleep 1
# SIGHUP: a new plugin starts (and gets the DAEMON_CONFIG that follows), one
# removed is stopped.
plug late "$W/catonly" "$d/late.out"
rm "$d/plugins.d/beside.conf"
kill -HUP "$DPID"
sleep 1.5
kill -TERM "$DPID"; wait "$DPID"; DPID=
auditctl -d "${RULE[@]}" >/dev/null
got=$(grep -a " pid=$FPID " "$d/log/audit.log" | grep -ac "^type=SYSCALL")
check "stuck plugin: the log has every flood event ($got/$FLOOD)" [ "$got" -ge $FLOOD ]
got=$(grep -a " pid=$FPID " "$d/beside.out" | grep -ac "^type=SYSCALL")
check "stuck plugin: the plugin beside it has every flood event ($got/$FLOOD)" [ "$got" -ge $FLOOD ]
# EOE names no pid: the flood's serials.
got=$(awk -v p=" pid=$FPID " '/^type=SYSCALL/ && index($0, p) { match($0, /audit\([0-9.]+:[0-9]+\)/); s[substr($0, RSTART, RLENGTH)] = 1 }
  /^type=EOE/ { match($0, /audit\([0-9.]+:[0-9]+\)/); if (substr($0, RSTART, RLENGTH) in s) n++ }
  END { print n + 0 }' "$d/beside.out")
check "stuck plugin: and their EOE ($got/$FLOOD)" [ "$got" -ge $FLOOD ]
drops=$(grep -a 'op=plugin-drop plugin="stuck.conf"' "$d/log/audit.log" | sed -n 's/.* count=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
check "stuck plugin: drops recorded in the log (${drops:-0})" [ "${drops:-0}" -gt 0 ]
check "stuck plugin: no other plugin's drops" bash -c "! grep -a 'op=plugin-drop' '$d/log/audit.log' | grep -qv stuck.conf"
check "stuck plugin: overflow_action=syslog said it (5 times, then the limit)" \
  bash -c "[ \$(sed '/config change requested/q' '$d/err' | grep -c '^queue to plugins is full - dropping event$') = 5 ] && grep -q 'reporting limit reached' '$d/err'"
check "killed plugin restarted 3 times ($restarted seen)" [ "$restarted" = 3 ]
# Counted up to the SIGHUP below: its shell script dies of that SIGHUP (as it
# would under stock), and the death is noticed and the plugin restarted too.
check "killed plugin: 3 restarts said" [ "$(sed '/config change requested/q' "$d/err" | grep -c "^plugin $W/catkeep was restarted$")" = 3 ]
for i in 1 2 3; do
  check "killed plugin: the message sent after kill $i reached the restarted plugin" \
    grep -q "restart $i $KEY" "$d/restart.out"
done
if [ "${coll_args[0]}" = --collector ]; then
  n=$(grep -a '^node=bpfaudit type=SYSCALL ' "$d/beside.out" | grep -ac " pid=${TPID:-none} ")
  check "autrace's records reach the plugin ($n SYSCALL of pid ${TPID:-?})" [ "$n" -gt 5 ]
  n=$(grep -ac '^node=bpfaudit type=EOE ' "$d/beside.out")
  check "and their EOE ($n), which the log does not get" \
    bash -c "[ $n -gt 5 ] && ! grep -aq 'type=EOE' '$d/log/audit.log'"
  [ "$n" -gt 5 ] || cat "$d/autrace.out"
fi
check "SIGHUP: new plugin got DAEMON_CONFIG" grep -q '^type=DAEMON_CONFIG ' "$d/late.out"
check "SIGHUP: removed plugin stopped" grep -q "^Terminating $W/catonly because its now inactive$" "$d/err"
check "SIGHUP: the removed plugin got nothing after it" bash -c "! grep -q '^type=DAEMON_CONFIG ' '$d/beside.out'"
[ "$fails" = 0 ] || { echo "--- ours alone, stderr:"; grep -v '_parser called' "$d/err" | head -40; }

# --- ours alone: overflow_action=suspend, SIGUSR2, a changed binary ---------
# A plugin that starts reading 2 s late overflows a 100-event queue during a
# flood: it is suspended (said once), gets nothing more, not even a message
# sent once its queue has drained, until SIGUSR2; then it gets events again.
# A new binary at its path (another inode) restarts it on SIGHUP.
d=$W/suspend
mkdir -p "$d/log" "$d/plugins.d"
printf '#!/bin/sh\n/bin/sleep 2\nexec /bin/cat >> "$1"\n' > "$W/late"
chmod 0750 "$W/late"
{ echo "log_file = $d/log/audit.log"; echo "space_left = 2"; echo "admin_space_left = 1"
  echo "plugin_dir = $d/plugins.d"; echo "q_depth = 100"; echo "overflow_action = suspend"
  echo "log_format = RAW"; } > "$d/auditd.conf"
chmod 640 "$d/auditd.conf"
printf 'active = yes\npath = %s\nargs = %s\n' "$W/late" "$d/late.out" > "$d/plugins.d/late.conf"
chmod 640 "$d/plugins.d/late.conf"
"$BIN" daemon -f -c "$d" --no-collector 2>"$d/err" &
DPID=$!
for _ in $(seq 100); do grep -q "Init complete" "$d/err" && break; sleep 0.1; done
auditctl -a "${RULE[@]}" >/dev/null
"$BIN_DIR/syscall_flood" 2000 >/dev/null
sleep 3
auditctl -m "while suspended $KEY" >/dev/null
sleep 0.5
kill -USR2 "$DPID"
sleep 0.5
auditctl -m "after resume $KEY" >/dev/null
sleep 0.5
old=$(children "$DPID" | head -1)
cp "$W/late" "$W/late.new"; mv "$W/late.new" "$W/late"
kill -HUP "$DPID"
sleep 0.5
new=$(children "$DPID" | head -1)
kill -TERM "$DPID"; wait "$DPID"; DPID=
auditctl -d "${RULE[@]}" >/dev/null
check "suspend: said once" \
  [ "$(grep -c '^Auditd is suspending event passing to plugins due to overflowing its queue.$' "$d/err")" = 1 ]
check "suspend: nothing reaches a suspended plugin" bash -c "! grep -q 'while suspended $KEY' '$d/late.out'"
check "suspend: SIGUSR2 resumes it" grep -q "after resume $KEY" "$d/late.out"
drops=$(grep -a 'op=plugin-drop plugin="late.conf"' "$d/log/audit.log" | sed -n 's/.* count=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
check "suspend: its drops recorded ($drops)" [ "$drops" -gt 0 ]
check "SIGHUP: a changed binary is restarted" grep -q "^Restarting $W/late since binary changed$" "$d/err"
check "SIGHUP: by a new process ($old -> $new)" bash -c "[ -n '$new' ] && [ '$old' != '$new' ]"
[ "$fails" = 0 ] || { echo "--- suspend, stderr:"; grep -v '_parser called' "$d/err" | head -40; }

echo "plugin differential tests: $passes passed, $fails failed"
[ $fails = 0 ]
