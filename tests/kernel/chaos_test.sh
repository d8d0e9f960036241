#!/bin/bash
# Chaos under load, with every event counted (issue 18, "Chaos, with nothing
# lost"). Each case floods the kernel with getppid events from a process of
# its own uid (4242, a uid nobody else runs as, so the count of events caused
# is known exactly), disturbs `bpfaudit daemon --readlog` (or autrace) while
# the events flow, and checks
#     caused = written + lost (as the loss ledger recorded it)
# in records, exactly, plus what each case must keep (no duplicate, no
# partial line, every file readable by stock ausearch).
#
# Cases (one per ctest test, each well under a minute here):
#   disk    the log's file system fills and frees: admin_space_left_action
#           suspend, then disk_full_action suspend (a full tmpfs), then
#           disk_full_action ignore; SIGUSR2 resumes. Lost records must be
#           in op=log-drop records.
#   storm   SIGUSR1 rotation storm and SIGHUP storm (the config alternating
#           so the log is closed and reopened) under a flood: nothing lost,
#           nothing twice, every rotated file read by stock ausearch.
#   plugin  a plugin stopped (SIGSTOP) under a flood and continued, and a
#           plugin killed under a flood and restarted: the log loses nothing;
#           what the plugin received plus its recorded drops is what the
#           daemon dispatched.
#   ring    autrace's reader stopped (SIGSTOP) while the traced program
#           keeps making syscalls: an 8 MiB ring (-b 8) overflows; the loss records'
#           counts plus the events written are the events caused.
#   ringcwd the same, with a chdir and a path syscall while the ring is
#           full: the next path syscall's CWD must be the new cwd (the cwd
#           cache stands for no lost CWD event).
#   ringcwdcache  ringcwd with the engine preloaded (-b 8), where the cwd
#           cache is on (autrace's own load walks the cwd every time).
#   tail    autrace ends (its program exits) while a traced child that
#           made its getppid calls still runs without a syscall: the events
#           it made are written, taken from its CPU's batch if they were
#           still there (autrace says so), none lost.
#   pfring  the same for the prefilter: the flood's rule in the engine
#           (`auditctl --prefilter on`), the daemon reading the engine's
#           8 MiB ring stopped (SIGSTOP) across the flood: its
#           prefilter/ring-drop records plus the events written are the
#           events caused.
#
# Kernel state: enabled/backlog restored, only this test's two rules (one
# under its key, one exclude rule keeping other records out of the count)
# deleted, on every exit. Takes no audit pid. Run it under
# `flock /tmp/bpfaudit-kernel.lock` on a shared host.
# usage: chaos_test.sh BIN_DIR CASE
set -u
BIN_DIR=$1
CASE=$2
BIN=$BIN_DIR/bpfaudit
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: stock auditctl missing"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
export TZ=UTC LC_ALL=C

W=$(mktemp -d /tmp/bpfaudit-chaos.XXXXXX)
chmod 755 "$W"
FUID=4242
KEY=bpfaudit-chaos-$$
RULE=(always,exit -F arch=b64 -S getppid -F uid=$FUID -F key=$KEY)
# Everything but the flood's own record types stays out of the log while the
# test runs (BPF program loads of other jobs, user messages): the records in
# the log are then exactly the flood's and the daemon's. EOE stays, for plugins.
EXCL=(always,exclude -F msgtype!=SYSCALL -F msgtype!=PROCTITLE -F msgtype!=EOE)
read -r OLD_ENABLED < <(auditctl -s | awk '$1=="enabled"{print $2}')
read -r OLD_BACKLOG < <(auditctl -s | awk '$1=="backlog_limit"{print $2}')
read -r OLD_WAIT < <(auditctl -s | awk '$1=="backlog_wait_time"{print $2}')
DPID=
PRELOADED=
STOPPED=
PF_ON=
fails=0
passes=0

cleanup() {
  [ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  # Rules the engine took go back to the kernel first, so that they can be deleted there.
  [ -n "$PF_ON" ] && "$BIN_DIR/auditctl" --prefilter off >/dev/null 2>&1
  [ -n "$PRELOADED" ] && "$BIN" engine unload-trace >/dev/null 2>&1
  auditctl -d "${RULE[@]}" >/dev/null 2>&1
  auditctl -d "${EXCL[@]}" >/dev/null 2>&1
  auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
  auditctl --backlog_wait_time "$OLD_WAIT" >/dev/null 2>&1
  auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  umount "$W/small" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

conf() {  # conf DIR LOGFILE extra-lines...
  local d=$1 log=$2; shift 2
  mkdir -p "$d"
  { echo "log_file = $log"
    for l in "$@"; do echo "$l"; done; } > "$d/auditd.conf.new"
  chmod 640 "$d/auditd.conf.new"
  mv "$d/auditd.conf.new" "$d/auditd.conf"  # whole, for a SIGHUP at any time
}
start_daemon() {  # start_daemon CONFDIR ERRFILE
  "$BIN" daemon -f -c "$1" --readlog --no-collector 2>"$2" &
  DPID=$!
  for _ in $(seq 100); do grep -q "Init complete" "$2" 2>/dev/null && return 0; kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
  bad "daemon did not start:"; cat "$2"; return 1
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID"; local rc=$?; DPID=; return $rc; }

# N getppid events from uid FUID: 2N records (SYSCALL, PROCTITLE) on disk,
# 3N dispatched (and EOE). Prints the flood's pid.
flood() { setpriv --reuid=$FUID --regid=$FUID --clear-groups "$BIN_DIR/syscall_flood" "$1"; }
# Kernel records of the flood (all kernel records, given the rules above) in
# the files named; loss-ledger counts of one op.
flood_records() { cat "$@" | grep -ac '^type=\(SYSCALL\|PROCTITLE\) msg=audit('; }
ledger() {  # ledger OP [MATCH] FILE...
  local op=$1 m=$2; shift 2
  cat "$@" | grep -a '^\(node=[^ ]* \)\?type=DAEMON_ERR ' | grep -a " op=$op " | grep -aF -- "$m" |
    sed -n 's/.* count=\([0-9]*\) .*/\1/p' | awk '{s += $1} END {print s + 0}'
}
# Waits until the files hold WANT flood records, or nothing arrived for 3 s.
settle() {  # settle WANT FILE...
  local want=$1 last=-1 still=0 now; shift
  for _ in $(seq 600); do
    now=$(cat "$@" 2>/dev/null | grep -ac '^type=\(SYSCALL\|PROCTITLE\) msg=audit(')
    [ "$now" -ge "$want" ] && return 0
    if [ "$now" = "$last" ]; then still=$((still + 1)); [ $still -ge 30 ] && return 1; else still=0; fi
    last=$now
    sleep 0.1
  done
}
# The flood's events were made one after another by one task: their serials
# must appear once each.
no_duplicates() { cat "$@" | grep -a '^type=SYSCALL ' | sed -n 's/^[^ ]* msg=audit([0-9.]*:\([0-9]*\)).*/\1/p' |
  sort -n | uniq -d | head -3 | grep -q . && return 1; return 0; }
GS=$'\x1d'  # the ENRICHED part's separator
# Whole records only: a line cut by a full disk with the next record glued
# to it shows as two headers on one line, or a SYSCALL line not ending in its key.
whole_lines() {
  ! cat "$@" | grep -av '^type=[A-Z_]* msg=audit([0-9.]*:[0-9]*): ' | grep -q . &&
  ! cat "$@" | grep -aq 'msg=audit(.*msg=audit(' &&
  ! cat "$@" | grep -a '^type=SYSCALL ' | grep -avq "key=\"$KEY\"\($GS.*\)\?\$"
}
stock_reads() {  # every file read by stock ausearch without a word on stderr
  local f rc=0
  for f in "$@"; do
    ausearch -if "$f" --raw >/dev/null 2>"$W/as.err"
    if [ -s "$W/as.err" ]; then echo "stock ausearch on $f:"; head -3 "$W/as.err"; rc=1; fi
  done
  return $rc
}

auditctl -e 1 >/dev/null
auditctl -b 8192 >/dev/null
auditctl --backlog_wait_time 60000 >/dev/null
auditctl -a "${EXCL[@]}" >/dev/null || { echo "FAIL: cannot add the exclude rule"; exit 1; }
auditctl -a "${RULE[@]}" >/dev/null || { echo "FAIL: cannot add rule"; exit 1; }

case_disk() {
  mkdir -p "$W/small"
  mount -t tmpfs -o size=8m tmpfs "$W/small" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
  local log=$W/small/audit.log free
  # A ballast file takes the space, so that removing it frees the disk with
  # the log left as it was.
  ballast() {  # ballast KIB_LEFT_FREE
    rm -f "$W/small/ballast"
    free=$(df -k --output=avail "$W/small" | tail -1)
    dd if=/dev/zero of="$W/small/ballast" bs=1k count=$((free - $1)) status=none
  }

  # --- 1. admin_space_left_action = suspend (space_left_action = syslog) ---
  # 3.5 MiB free: space_left (3 MiB) is crossed first, then admin_space_left
  # (2 MiB) suspends. About 400 bytes a flood event: 8000 events cross both.
  ballast 3584
  conf "$W/c1" "$log" "log_format = RAW" "flush = incremental_async" "freq = 50" \
    "space_left = 3" "space_left_action = syslog" \
    "admin_space_left = 2" "admin_space_left_action = suspend" "disk_full_action = suspend"
  start_daemon "$W/c1" "$W/c1.err" || return
  local n1=8000 n2=500
  flood $n1 >/dev/null
  settle 1 "$log"; sleep 1
  check "space_left: syslog action said" grep -q "^Audit daemon is low on disk space for logging$" "$W/c1.err"
  check "admin_space_left: suspended" grep -q "^Audit daemon is suspending logging due to low disk space.$" "$W/c1.err"
  rm -f "$W/small/ballast"
  kill -USR2 "$DPID"; sleep 0.5
  flood $n2 >/dev/null
  settle $((2 * n2)) "$log"
  stop_daemon
  local w l
  w=$(flood_records "$log"); l=$(ledger log-drop "" "$log")
  check "admin suspend: caused $((2 * (n1 + n2))) = written $w + recorded lost $l" [ $((w + l)) = $((2 * (n1 + n2))) ]
  check "admin suspend: something was lost ($l)" [ "$l" -gt 0 ]
  check "admin suspend: the loss record follows DAEMON_RESUME" \
    bash -c "grep -a -A1 '^type=DAEMON_RESUME ' '$log' | tail -1 | grep -aq 'op=log-drop'"
  check "admin suspend: no other loss" [ "$(ledger 'kernel-lost\|netlink-overrun' '' "$log")" = 0 ]
  check "admin suspend: stock ausearch reads the log" stock_reads "$log"
  rm -f "$log"

  # --- 2. disk full, disk_full_action = suspend ---------------------------
  # 300 KiB free: the flood fills it; a write comes back short, then ENOSPC.
  ballast 300
  conf "$W/c2" "$log" "log_format = RAW" "space_left = 1" "space_left_action = ignore" \
    "admin_space_left = 0" "admin_space_left_action = ignore" "disk_full_action = suspend"
  start_daemon "$W/c2" "$W/c2.err" || return
  n1=3000
  flood $n1 >/dev/null
  settle 1 "$log"; sleep 1
  check "disk full: said" grep -q "^Audit daemon has no space left on logging partition$" "$W/c2.err"
  check "disk full: suspended" grep -q "^Audit daemon is suspending logging due to no space left on logging partition.$" "$W/c2.err"
  rm -f "$W/small/ballast"
  kill -USR2 "$DPID"; sleep 0.5
  flood $n2 >/dev/null
  settle $((2 * n2)) "$log"
  stop_daemon
  w=$(flood_records "$log"); l=$(ledger log-drop "" "$log")
  check "disk full suspend: caused $((2 * (n1 + n2))) = written $w + recorded lost $l" [ $((w + l)) = $((2 * (n1 + n2))) ]
  check "disk full suspend: something was lost ($l)" [ "$l" -gt 0 ]
  check "disk full suspend: stock ausearch reads the log" stock_reads "$log"
  check "disk full suspend: every line a whole record" whole_lines "$log"
  rm -f "$log"

  # --- 3. disk full, disk_full_action = ignore: writing goes on once freed --
  ballast 300
  conf "$W/c3" "$log" "log_format = RAW" "space_left = 1" "space_left_action = ignore" \
    "admin_space_left = 0" "admin_space_left_action = ignore" "disk_full_action = ignore"
  start_daemon "$W/c3" "$W/c3.err" || return
  flood $n1 >/dev/null
  settle 1 "$log"; sleep 1
  rm -f "$W/small/ballast"
  flood $n2 >/dev/null
  settle $((2 * n2)) "$log"
  stop_daemon
  w=$(flood_records "$log"); l=$(ledger log-drop "" "$log")
  check "disk full ignore: caused $((2 * (n1 + n2))) = written $w + recorded lost $l" [ $((w + l)) = $((2 * (n1 + n2))) ]
  check "disk full ignore: something was lost ($l)" [ "$l" -gt 0 ]
  check "disk full ignore: stock ausearch reads the log" stock_reads "$log"
  check "disk full ignore: every line a whole record" whole_lines "$log"
  umount "$W/small"
}

case_storm() {
  mkdir -p "$W/s"
  local log=$W/s/audit.log n=20000 k
  local base=("space_left = 2" "admin_space_left = 1" "log_format = ENRICHED" "max_log_file = 100" "max_log_file_action = rotate" "num_logs = 99")
  conf "$W/sc" "$log" "${base[@]}" "flush = incremental_async" "freq = 50"
  start_daemon "$W/sc" "$W/s.err" || return
  # The flood in 20 parts over about 3 s, so that the storm meets it throughout.
  ( for k in $(seq 20); do flood $((n / 20)) >/dev/null; sleep 0.1; done ) &
  local fl=$! usr1=0 hup=0
  # Signals of one kind pending together merge into one: the storm is what
  # the daemon saw of them, counted below by its DAEMON_ROTATE/DAEMON_CONFIG.
  # At most 80 rotations: num_logs 99 keeps every file. Each SIGHUP follows a
  # rewrite of the config that changes flush, so the log is closed and reopened.
  for k in $(seq 80); do
    kill -USR1 "$DPID"; usr1=$((usr1 + 1))
    if [ $((k % 2)) = 0 ]; then
      if [ $((k % 4)) = 0 ]; then conf "$W/sc" "$log" "${base[@]}" "flush = incremental_async" "freq = 50"
      else conf "$W/sc" "$log" "${base[@]}" "flush = none"; fi
      kill -HUP "$DPID"; hup=$((hup + 1))
    fi
    sleep 0.03
  done
  wait $fl
  local files f rot cfg
  settle $((2 * n)) "$log" "$log".[0-9]*
  stop_daemon
  # The logs only (LOG.N), not the daemon's history indexes beside them.
  files=$(for f in $(ls "$log".* | sed -n 's/.*\.\([0-9]*\)$/\1/p' | sort -rn); do echo "$log.$f"; done; echo "$log")
  cat $files > "$W/s/all"
  rot=$(grep -ac '^type=DAEMON_ROTATE ' "$W/s/all")
  cfg=$(grep -ac '^type=DAEMON_CONFIG .*state=changed' "$W/s/all")
  echo "sent $usr1 SIGUSR1 and $hup SIGHUP: $rot rotations, $cfg reconfigurations, $(echo "$files" | wc -l) files"
  local w; w=$(flood_records "$W/s/all")
  check "storm: caused $((2 * n)) = written $w (nothing lost)" [ "$w" = $((2 * n)) ]
  check "storm: no loss record" bash -c "! grep -aq '^type=DAEMON_ERR ' '$W/s/all'"
  check "storm: no event twice" no_duplicates "$W/s/all"
  check "storm: every SYSCALL has its PROCTITLE" [ "$(grep -ac '^type=SYSCALL ' "$W/s/all")" = "$(grep -ac '^type=PROCTITLE ' "$W/s/all")" ]
  check "storm: rotations happened ($rot) and each made a file" [ "$rot" -gt 1 -a "$(echo "$files" | wc -l)" = $((rot + 1)) ]
  check "storm: reconfigurations happened ($cfg)" [ "$cfg" -gt 1 ]
  check "storm: every rotated file read by stock ausearch" stock_reads $files
  check "storm: every line a whole record" whole_lines "$W/s/all"
}

case_plugin() {
  local d=$W/p n=20000
  mkdir -p "$d/log" "$d/plugins.d"
  # Not exec'd: the script's command line names its output, and its cat child
  # is the reader that is stopped or killed.
  printf '#!/bin/sh\n/bin/cat >> "$1"\n' > "$W/catonly"
  chmod 0750 "$W/catonly"
  conf "$d" "$d/log/audit.log" "space_left = 2" "admin_space_left = 1" "log_format = RAW" "plugin_dir = $d/plugins.d" "q_depth = 2000" \
    "overflow_action = ignore" "max_restarts = 5"
  local p
  for p in stall killed; do
    { echo "active = yes"; echo "path = $W/catonly"; echo "args = $d/$p.out"; echo "format = string"; } \
      > "$d/plugins.d/$p.conf"
    chmod 640 "$d/plugins.d/$p.conf"
  done
  start_daemon "$d" "$d/err" || return
  plugin_pid() { local c; for c in $(pgrep -P "$DPID"); do
    tr '\0' ' ' < /proc/$c/cmdline 2>/dev/null | grep -q "$1" && pgrep -P "$c"; done; }
  local sp kp
  sp=$(plugin_pid stall.out); kp=$(plugin_pid killed.out)
  check "both plugins started" [ -n "$sp" -a -n "$kp" ]
  kill -STOP "$sp"; STOPPED=$sp
  flood $n > "$d/flood.pid" &
  local fl=$!
  sleep 0.3
  # Stopped first, so that it dies with its socket full of records it never read.
  kill -STOP "$kp"; sleep 0.3
  kill -9 "$kp"
  wait $fl
  settle $((2 * n)) "$d/log/audit.log"
  kill -CONT "$sp"; STOPPED=
  sleep 1
  stop_daemon
  local log=$d/log/audit.log
  local w; w=$(flood_records "$log")
  check "plugins: the log has every flood record ($w of $((2 * n)))" [ "$w" = $((2 * n)) ]
  check "plugins: the killed plugin was restarted" grep -q "^plugin $W/catonly was restarted$" "$d/err"
  # Dispatched: every record of the log, and an EOE for each kernel event.
  { grep -a '^type=' "$log"
    grep -a '^type=SYSCALL ' "$log" | sed 's/^type=SYSCALL msg=\(audit([0-9.]*:[0-9]*):\).*/type=EOE msg=\1 /'; } |
    sort > "$d/dispatched"
  for p in stall killed; do
    sort "$d/$p.out" > "$d/$p.sorted"
    local disp recv dup drops unc
    disp=$(wc -l < "$d/dispatched")
    # Received whole: the exact line, or the end of a line that a killed
    # plugin's reader cut (its part of a record, then the next process's
    # first line, appended to the same file).
    recv=$(awk 'NR == FNR { d[$0] = 1; next }
      { if ($0 in d) { r++; next }
        s = $0
        while ((i = index(substr(s, 2), "type=")) > 0) { s = substr(s, i + 1); if (s in d) { r++; break } } }
      END { print r + 0 }' "$d/dispatched" "$d/$p.out")
    dup=$(uniq -d "$d/$p.sorted" | wc -l)
    drops=$(ledger plugin-drop "plugin=\"$p.conf\"" "$log")
    # A plugin-drop record that could not reach the plugin is not itself
    # counted (README): those are the dispatched loss records it lacks.
    unc=$(grep -a '^type=DAEMON_ERR .*op=plugin-drop ' "$log" | sort | comm -23 - "$d/$p.sorted" | wc -l)
    echo "$p: dispatched $disp, received $recv, recorded drops $drops, unreceived loss records $unc"
    check "$p: received $recv + recorded drops $drops + unreceived loss records $unc = dispatched $disp" \
      [ $((recv + drops + unc)) = "$disp" ]
    check "$p: nothing received twice ($dup)" [ "$dup" = 0 ]
  done
}

# autrace -b 8 writing D/stop.log for syscall_flood N MODE... (--gate or
# --gate-cwd DIR), its reader stopped across exactly the program's getppid
# calls: the program waits on the gate, makes its calls, then sits in
# pause() until SIGUSR1, so every event that cannot be reserved is one of
# them. An 8 MiB ring (-b 8; the default, 64 MiB, would hold them all) takes
# about 100k events (80 bytes each); the rest is counted in BPF. The reader
# then drains a full ring whose records wrap past its end. Sets RC to
# autrace's exit code.
flood_stopped_reader() {
  local d=$1 n=$2
  shift 2
  mkfifo "$d/gate"
  "$BIN_DIR/autrace" -b 8 -o "$d/stop.log" "$BIN_DIR/syscall_flood" $n "$@" \
    < "$d/gate" > "$d/stop.out" 2> "$d/stop.err" &
  local ap=$! fp=
  exec 7> "$d/gate"
  # autrace says "Waiting to execute" first; the program prints its pid.
  for _ in $(seq 300); do fp=$(grep -x "[0-9]*" "$d/stop.out" 2>/dev/null); [ -n "$fp" ] && break; sleep 0.05; done
  # In its read of the gate (syscall 0), then stopped reader, then open the gate.
  for _ in $(seq 100); do [ "$(cut -d' ' -f1 /proc/$fp/syscall 2>/dev/null)" = 0 ] && break; sleep 0.05; done
  kill -STOP $ap; STOPPED=$ap
  echo >&7
  # Until it sits in pause() (syscall 34) with every getppid made.
  for _ in $(seq 600); do [ "$(cut -d' ' -f1 /proc/$fp/syscall 2>/dev/null)" = 34 ] && break; sleep 0.05; done
  kill -CONT $ap; STOPPED=
  sleep 1
  kill -USR1 $fp
  exec 7>&-
  wait $ap; RC=$?
}

case_ring() {
  [ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF, autrace cannot load"; exit 77; }
  local d=$W/r n=300000
  mkdir -p "$d"
  flood_stopped_reader "$d" $n --gate
  check "stopped reader: autrace exits 0 ($RC)" [ $RC = 0 ]
  local gp l
  gp=$(grep -a '^node=bpfaudit type=SYSCALL ' "$d/stop.log" | grep -ac ' syscall=110 ')
  l=$(ledger ring-drop "" "$d/stop.log")
  echo "caused $n getppid, written $gp, recorded lost $l:"
  grep -a 'op=ring-drop' "$d/stop.log" | sed 's/^.*op=/  op=/'
  check "stopped reader: the ring overflowed ($l lost)" [ "$l" -gt 0 ]
  check "stopped reader: every record read whole (no malformed-event loss)" \
    bash -c "! grep -aq 'source=\"autrace/malformed-event\"' '$d/stop.log'"
  check "stopped reader: caused $n = written $gp + recorded lost $l" [ $((gp + l)) = $n ]
  check "stopped reader: the other events all written (pause, the signal, exit)" \
    bash -c "grep -a '^node=bpfaudit type=SYSCALL ' '$d/stop.log' | grep -aq ' syscall=34 '"
  check "stopped reader: autrace says the same loss" \
    bash -c "grep -q 'autrace: [0-9]* syscalls recorded, $l events lost' '$d/stop.out' &&
             grep -q 'autrace: WARNING: $l events were lost' '$d/stop.err'"
}

# The cwd cache (engine.bpf.c, emit_cwd) after losses: the same stopped
# reader, then the program changes directory and stats a name while the ring
# is full (its CWD events lost), and stats another once the reader runs
# again. That CWD must be the new directory: a "same as last" event standing
# for the lost one would show the old cwd (or none).
case_ringcwd() {
  [ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF, autrace cannot load"; exit 77; }
  local d=$W/rc n=300000
  mkdir -p "$d/sub"
  flood_stopped_reader "$d" $n --gate-cwd "$d/sub"
  check "cwd after loss: autrace exits 0 ($RC)" [ $RC = 0 ]
  [ -n "$PRELOADED" ] && check "cwd after loss: autrace ran the preloaded engine (its cwd cache)" \
    grep -q "eBPF engine preloaded in" "$d/stop.err"
  local l want got
  l=$(ledger ring-drop "" "$d/stop.log")
  check "cwd after loss: the ring overflowed ($l lost)" [ "$l" -gt 0 ]
  check "cwd after loss: no malformed-event loss (a \"same\" CWD without its text)" \
    bash -c "! grep -aq 'source=\"autrace/malformed-event\"' '$d/stop.log'"
  want=$(readlink -f "$d/sub")
  got=$(awk '{ id = ""; if (match($0, /msg=audit\([^)]*\)/)) id = substr($0, RSTART, RLENGTH) }
    / type=CWD / { c = $0; sub(/.* cwd=/, "", c); cwd[id] = c }
    / type=PATH / && / name="after-probe" / { probe = id }
    END { print (probe in cwd) ? cwd[probe] : "<no CWD record>" }' "$d/stop.log")
  check "cwd after loss: the stat after the loss has cwd=\"$want\" ($got)" [ "$got" = "\"$want\"" ]
}

case_tail() {
  [ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF, autrace cannot load"; exit 77; }
  local d=$W/t n=1000 k took=0
  [ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 CPUs (the child keeps one while autrace ends on the other)"; exit 77; }
  mkdir -p "$d"
  # Three runs. The child runs SCHED_FIFO (chrt), so that no other task
  # takes its CPU while it spins (0.9 s, inside the kernel's 0.95 s per
  # second real-time budget) and its last events are still in that CPU's
  # batch when autrace ends: the root ends as soon as the child says its
  # calls are made. All of them must be written every time, and at least
  # one run must say it took them from the batch (on an idle host all three
  # did). The root used to end at a fixed 0.2 s instead, a guess at when
  # the calls were made; that check once failed 3 runs of 3 under load 4
  # (not reproduced under a parallel build at load 4, 2026-12-07).
  command -v chrt >/dev/null || { echo "SKIP: chrt missing"; exit 77; }
  for k in 1 2 3; do
    "$BIN_DIR/autrace" -o "$d/tail$k.log" /bin/sh -c \
      "chrt -f 10 '$BIN_DIR/syscall_flood' $n --spin 0.9 > '$d/child$k.pid' &
       i=0; until grep -q 'calls done' '$d/child$k.pid' || [ \$i -ge 300 ]; do sleep 0.01; i=\$((i + 1)); done" \
      > "$d/tail$k.out" 2> "$d/tail$k.err"
    local rc=$? cp gp l
    cp=$(head -1 "$d/child$k.pid")
    gp=$(grep -a '^node=bpfaudit type=SYSCALL ' "$d/tail$k.log" | grep -a " pid=$cp " | grep -ac ' syscall=110 ')
    l=$(ledger ring-drop "" "$d/tail$k.log")
    check "tail $k: autrace exits 0 ($rc)" [ $rc = 0 ]
    check "tail $k: the running child's $n getppid all written ($gp), none lost ($l)" [ "$gp" = $n ] && [ "$l" = 0 ]
    grep -q "taken from the CPUs' batches" "$d/tail$k.err" && took=$((took + 1))
    sleep 1  # the child's spin ends
  done
  check "the child's last events were in its CPU's batch at the end ($took of 3 runs)" [ $took -ge 1 ]
}

case_pfring() {
  [ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no kernel BTF, the prefilter engine cannot load"; exit 77; }
  local pf; pf=$("$BIN_DIR/auditctl" -s | awk '$1=="prefilter"{print $2}')
  [ "$pf" = on ] && { echo "SKIP: the prefilter is on already (not this test's to switch)"; exit 77; }
  local d=$W/p n=300000
  # An exclude rule that could drop SYSCALL or PROCTITLE keeps every rule in
  # the kernel (README, prefilter): this case counts by key, without it.
  auditctl -d "${EXCL[@]}" >/dev/null
  "$BIN_DIR/auditctl" --prefilter on > "$W/pf-on.out" 2>&1 || { bad "--prefilter on failed: $(cat "$W/pf-on.out")"; return; }
  PF_ON=yes
  "$BIN" engine list > "$W/engine.list" 2>&1
  check "prefilter: the flood's rule is in the engine" grep -q "^engine.*key=$KEY\$" "$W/engine.list"
  grep -q "^engine.*key=$KEY\$" "$W/engine.list" || cat "$W/engine.list"
  conf "$d" "$d/audit.log" "space_left = 2" "admin_space_left = 1"
  start_daemon "$d" "$d/err" || return
  for _ in $(seq 50); do grep -q "Reading the prefilter engine" "$d/err" && break; sleep 0.1; done
  check "prefilter: the daemon reads the engine" grep -q "Reading the prefilter engine" "$d/err"
  # Each match takes several KiB of the 8 MiB ring (its RULE_MATCH event
  # carries the key, title and exe path): a few thousand fit, the rest of
  # the flood is counted in BPF while the reader is stopped.
  kill -STOP "$DPID"; STOPPED=$DPID
  flood $n > "$d/flood.pid"
  kill -CONT "$DPID"; STOPPED=
  local last=-1 still=0 w l
  for _ in $(seq 600); do
    w=$(grep -a '^node=bpfaudit type=SYSCALL ' "$d"/audit.log* 2>/dev/null | grep -ac "key=\"$KEY\"")
    l=$(ledger ring-drop 'source="prefilter/' "$d"/audit.log*)
    [ $((w + l)) -ge $n ] && break
    if [ "$w.$l" = "$last" ]; then still=$((still + 1)); [ $still -ge 30 ] && break; else still=0; fi
    last=$w.$l
    sleep 0.1
  done
  stop_daemon
  # The engine's records carry node=bpfaudit (README, prefilter).
  w=$(grep -a '^node=bpfaudit type=SYSCALL ' "$d"/audit.log* | grep -ac "key=\"$KEY\"")
  l=$(ledger ring-drop 'source="prefilter/' "$d"/audit.log*)
  echo "caused $n getppid, written $w, recorded lost $l:"
  grep -a 'op=ring-drop' "$d"/audit.log* | sed 's/^.*op=/  op=/'
  check "prefilter: the ring overflowed ($l lost)" [ "$l" -gt 0 ]
  check "prefilter: no record read in pieces (no malformed-event loss)" \
    bash -c "! grep -aq 'malformed' '$d/audit.log'"
  check "prefilter: caused $n = written $w + recorded lost $l" [ $((w + l)) = $n ]
  check "prefilter: every written event whole (SYSCALL with its PROCTITLE)" \
    [ "$(grep -a '^node=bpfaudit type=PROCTITLE ' "$d"/audit.log* | grep -c .)" -ge "$w" ]
  check "prefilter: the log read by stock ausearch" stock_reads "$d"/audit.log*
  "$BIN_DIR/auditctl" --prefilter off > "$W/pf-off.out" 2>&1
  check "prefilter: --prefilter off" \
    bash -c "'$BIN_DIR/auditctl' -s | grep -qx 'prefilter off' || ! '$BIN_DIR/auditctl' -s | grep -q '^prefilter '"
  PF_ON=
}

case "$CASE" in
  disk) case_disk ;;
  storm) case_storm ;;
  plugin) case_plugin ;;
  ring) case_ring ;;
  ringcwd) case_ringcwd ;;
  ringcwdcache)
    [ -e /sys/fs/bpf/bpfaudit/trace ] && { echo "SKIP: a preloaded trace engine this test did not make is there"; exit 77; }
    "$BIN" engine preload-trace -b 8 >/dev/null || { echo "FAIL: preload-trace -b 8"; exit 1; }
    PRELOADED=1
    case_ringcwd ;;
  pfring) case_pfring ;;
  tail) case_tail ;;
  *) echo "unknown case $CASE"; exit 2 ;;
esac
echo "chaos $CASE: $passes passed, $fails failed"
[ $fails = 0 ]
