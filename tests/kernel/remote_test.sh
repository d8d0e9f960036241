#!/bin/bash
# Remote logging (issue 17): stock audisp-remote 3.0.9 (Debian audispd-plugins)
# between senders and receivers, ours and stock's, all inside a network
# namespace this test creates (only its loopback exists there, so every port
# is free; they are still drawn at random).
#
# 1. audisp-remote fed from a pipe -> our receiver (local_events = no); ours is
#    killed (-9) and later stopped (TERM) and restarted mid-stream: every one
#    of the records arrives (a record written just before a kill -9 but not
#    yet acknowledged is sent again: at most one duplicate per kill).
# 2. our daemon (registered, in the namespace) with two audisp-remote plugins
#    -> stock `auditd -n -c DIR` (local_events = no) and -> ours: kernel
#    events of a test rule, autrace records, an `auditctl -m` marker; each
#    receiver holds every record the sender logged, once (EOE aside, which
#    audisp-remote drops). DAEMON_ACCEPT / op=dup / DAEMON_CLOSE records of
#    stock and ours compared with time, serial and port masked.
# 3. stock auditd (registered) with audisp-remote -> ours: the same check.
# 4. bad input on the port of our daemon while it logs local kernel events:
#    garbage, a 65535-byte length, an unknown type, half frames (ended, and
#    left hanging), a client that never reads its ACKs, 500 connections held
#    at once. Each bad connection is closed with a DAEMON_CLOSE op=REASON
#    record; local events keep reaching the log during the attack.
# 5. the replies as a receiver's log fills (DISKLOW, DISKFULL, DISKERROR),
#    ours against stock's. Part 0: transport = KRB5 refused.
#
# audisp-remote reads only /etc/audit/audisp-remote.conf: each instance runs
# under a wrapper that bind-mounts its own config there inside a private
# mount namespace, so the host's file is never touched.
#
# Parts 2-4 take the audit pid (skipped unless it is free) and set enabled 1
# for auditctl -m; enabled, backlog settings and the test's rule are restored
# on every exit. Stock writes and removes /var/run/auditd.pid.
# usage: remote_test.sh BIN_DIR
set -u
BIN_DIR=$1
BIN=$BIN_DIR/bpfaudit
CLIENT=$BIN_DIR/remote_client
STOCK=/sbin/auditd
AR=/sbin/audisp-remote
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$AR" ] || { echo "SKIP: $AR missing (Debian package audispd-plugins)"; exit 77; }
[ -x "$STOCK" ] || { echo "SKIP: stock $STOCK missing"; exit 77; }
[ -x "$CLIENT" ] || { echo "SKIP: $CLIENT not built"; exit 77; }
[ -e /etc/audit/audisp-remote.conf ] || { echo "SKIP: no /etc/audit/audisp-remote.conf to mount over"; exit 77; }
command -v ip >/dev/null && command -v unshare >/dev/null || { echo "SKIP: ip or unshare missing"; exit 77; }
export TZ=UTC LC_ALL=C

W=$(mktemp -d /tmp/bpfaudit-remote.XXXXXX)
chmod 755 "$W"
NS=bpfaudit-remote-$$
KEY=bpfaudit-remote-$$
FLOOD=$(readlink -f "$BIN_DIR/syscall_flood")
RULE=(always,exit -F arch=b64 -S getppid -F exe=$FLOOD -F key=$KEY)
read -r OLD_ENABLED < <(auditctl -s | awk '$1=="enabled"{print $2}')
read -r OLD_BACKLOG < <(auditctl -s | awk '$1=="backlog_limit"{print $2}')
read -r OLD_WAIT < <(auditctl -s | awk '$1=="backlog_wait_time"{print $2}')
RUN_DIR_WAS=$([ -d /run/bpfaudit ] && echo yes)
PIDS=()
RULE_ADDED=
fails=0
passes=0

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "$RULE_ADDED" ]; then
    auditctl -d "${RULE[@]}" >/dev/null 2>&1
    auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
    auditctl --backlog_wait_time "$OLD_WAIT" >/dev/null 2>&1
    auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  fi
  # Anything of ours still in the namespace (all of it is ours) ends too.
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$NS" 2>/dev/null
  [ -z "$RUN_DIR_WAS" ] && rmdir /run/bpfaudit 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
in_ns() { ip netns exec "$NS" "$@"; }
# Waits up to $2 tenths of a second for `grep -c $3 $1` to reach $4.
wait_count() {
  local f=$1 tenths=$2 pat=$3 want=$4
  for _ in $(seq "$tenths"); do
    local n
    n=$(grep -ac -- "$pat" "$f" 2>/dev/null)
    [ "${n:-0}" -ge "$want" ] && return 0
    sleep 0.1
  done
  return 1
}
# A log line with time, serial and peer port masked.
mask() { sed -E 's/msg=audit\([0-9.]+:[0-9]+\)/msg=audit(T)/; s/port=[0-9]+/port=P/'; }

ip netns add "$NS" || { echo "SKIP: cannot create a network namespace"; exit 77; }
in_ns ip link set lo up
port() { echo $((20000 + RANDOM % 20000)); }
P_OURS=$(port)
P_STOCK=$((P_OURS + 1))
P_ATTACK=$((P_OURS + 2))

# audisp-remote's config: retries long enough to outlast a receiver restart
# (it gives up on a record after max_tries/max_time, and its stop action
# would end it).
ar_conf() {  # ar_conf PORT FILE
  cat > "$2" <<EOF
remote_server = 127.0.0.1
port = $1
transport = tcp
mode = immediate
queue_depth = 200000
format = managed
network_retry_time = 1
max_tries_per_record = 60
max_time_per_record = 60
heartbeat_timeout = 0
network_failure_action = syslog
disk_low_action = ignore
disk_full_action = warn_once
disk_error_action = warn_once
remote_ending_action = reconnect
generic_error_action = syslog
generic_warning_action = syslog
queue_error_action = stop
overflow_action = syslog
startup_failure_action = warn_once_continue
EOF
  chmod 640 "$2"
}
# The plugin: audisp-remote with the config given as its argument. Plugins
# start with an empty environment, hence the absolute paths.
cat > "$W/ar-wrap" <<EOF
#!/bin/sh
exec $(command -v unshare) -m --propagation private /bin/sh -c '/bin/mount --bind "\$0" /etc/audit/audisp-remote.conf && exec $AR' "\$1"
EOF
chmod 0750 "$W/ar-wrap"

# daemon_conf DIR PORT lines...: an auditd.conf with its log in DIR.
daemon_conf() {
  local d=$1 p=$2; shift 2
  mkdir -p "$d/log" "$d/plugins.d"
  { echo "log_file = $d/log/audit.log"
    echo "log_format = RAW"
    echo "space_left = 2"
    echo "admin_space_left = 1"
    echo "plugin_dir = $d/plugins.d"
    [ "$p" != 0 ] && echo "tcp_listen_port = $p"
    for l in "$@"; do echo "$l"; done; } > "$d/auditd.conf"
  chmod 640 "$d/auditd.conf"
}
add_ar_plugin() {  # add_ar_plugin DIR NAME PORT
  ar_conf "$3" "$1/$2.ar.conf"
  printf 'active = yes\ndirection = out\npath = %s\ntype = always\nargs = %s\nformat = string\n' \
    "$W/ar-wrap" "$1/$2.ar.conf" > "$1/plugins.d/$2.conf"
  chmod 640 "$1/plugins.d/$2.conf"
}
LAST=
start_ours() {  # start_ours DIR [extra args]: our daemon in the namespace
  local d=$1 before; shift
  before=$(grep -ac 'type=DAEMON_START ' "$d/log/audit.log" 2>/dev/null)
  # Not through in_ns: $! must be the daemon, not a subshell around it.
  ip netns exec "$NS" "$BIN" daemon -f -c "$d" "$@" 2>>"$d/err" &
  LAST=$!
  PIDS+=("$LAST")
  wait_count "$d/log/audit.log" 100 "type=DAEMON_START " $((${before:-0} + 1))
}
start_stock() {
  local d=$1
  # -n: stock's -f would write events to stdout instead of its log.
  ip netns exec "$NS" "$STOCK" -n -c "$d" 2>>"$d/err" &
  LAST=$!
  PIDS+=("$LAST")
  wait_count "$d/log/audit.log" 100 "type=DAEMON_START " 1
}
stop_pid() { kill -"${2:-TERM}" "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# ---------------------------------------------------------------- part 0
# Kerberos is refused at start, with stock's exit code for a refused config.
daemon_conf "$W/krb5" 60 "local_events = no" "transport = KRB5"
"$BIN" daemon -f -c "$W/krb5" > /dev/null 2> "$W/krb5/err"
rc=$?
check "part 0: transport = KRB5 refused, exit 6 (was $rc)" test "$rc" = 6
check "part 0: the refusal says why" grep -q "transport = KRB5 is not supported" "$W/krb5/err"

# ---------------------------------------------------------------- part 1
R1=$W/recv1
daemon_conf "$R1" "$P_OURS" "local_events = no" "tcp_max_per_addr = 2"
ar_conf "$P_OURS" "$W/pipe.ar.conf"
N=6000
# Three stages of 2000 records, each begun when the test says. audisp-remote
# reconnects after ENDING only when new input comes: stage 3 is that input.
feeder() {
  local i
  for ((i = 1; i <= N; i++)); do
    printf "node=feeder type=USER msg=audit(1700000000.%03d:%d): pid=1 uid=0 msg='seq=%d'\n" $((i % 1000)) "$i" "$i"
    ((i % 200 == 0)) && sleep 0.05
    if ((i % 2000 == 0)); then while [ ! -e "$W/stage.$i" ] && [ ! -e "$W/hold" ]; do sleep 0.05; done; fi
  done
  while [ ! -e "$W/hold" ]; do sleep 0.1; done
}
PARTS=${PARTS:-1 2 3 4 5}  # for debugging: PARTS="1" runs part 1 only
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
if ! want 1; then :
elif start_ours "$R1"; then
  RP=$LAST
  feeder | in_ns unshare -m --propagation private /bin/sh -c \
    'mount --bind "$0" /etc/audit/audisp-remote.conf && exec '"$AR" "$W/pipe.ar.conf" &
  FP=$!
  PIDS+=("$FP")
  # kill -9 while stage 1 is being sent; audisp-remote retries the record.
  wait_count "$R1/log/audit.log" 100 node=feeder 1000
  stop_pid "$RP" KILL
  sleep 1
  start_ours "$R1"; RP=$LAST
  wait_count "$R1/log/audit.log" 150 node=feeder 2000
  touch "$W/stage.2000"
  # TERM once stage 2 is in: ENDING; stage 3 makes the sender reconnect.
  wait_count "$R1/log/audit.log" 150 node=feeder 4000
  in_ns "$CLIENT" 127.0.0.1 "$P_OURS" ending > "$W/ending.out" &
  EN=$!
  wait_count "$R1/log/audit.log" 50 "type=DAEMON_ACCEPT" 3
  stop_pid "$RP" TERM
  wait "$EN"
  # ENDING (0x40000001), sequence 0, as stock sends to each sender at shutdown.
  check "part 1: a stopping receiver sends ENDING ($(cat "$W/ending.out"))" \
    test "$(cat "$W/ending.out")" = "fe0000ff000001000040000000000000"
  check "part 1: a stopped receiver writes DAEMON_CLOSE before DAEMON_END" \
    test "$(grep -a 'type=DAEMON_\(CLOSE\|END\)' "$R1/log/audit.log" | tail -2 | cut -d' ' -f1 | tr '\n' ' ')" = "type=DAEMON_CLOSE type=DAEMON_END "
  start_ours "$R1"; RP=$LAST
  touch "$W/stage.4000"
  wait_count "$R1/log/audit.log" 300 node=feeder "$N"
  touch "$W/hold"
  wait "$FP"
  total=$(grep -ac node=feeder "$R1/log/audit.log")
  distinct=$(grep -a node=feeder "$R1/log/audit.log" | sort -u | wc -l)
  echo "part 1: $N sent, $total received, $distinct distinct"
  check "part 1: every record arrives across kill -9 and TERM restarts" test "$distinct" = "$N"
  check "part 1: at most one duplicate (the kill -9)" test $((total - distinct)) -le 1
  check "part 1: the records are written as sent" \
    grep -aqx "node=feeder type=USER msg=audit(1700000000.777:5777): pid=1 uid=0 msg='seq=5777'" "$R1/log/audit.log"
  check "part 1: each connection recorded" test "$(grep -ac 'type=DAEMON_ACCEPT .* res=success' "$R1/log/audit.log")" -ge 4
  stop_pid "$RP"
else
  bad "part 1: our receiver did not start"; cat "$R1/err"
fi

# ---------------------------------------------------------------- part 5
# Replies as the log fills: stock's receiver and ours, each with its log on a
# 256 KiB tmpfs mounted in its own mount namespace (space_left 2 MiB and
# admin_space_left 1 MiB are crossed at once), take 3000 records from a
# client that keeps 1000 unanswered. With disk_full_action ignore: DISKLOW
# (space_left crossed, no text) and DISKFULL "disk full" (ENOSPC); with
# suspend, also DISKERROR "remote logging suspended" once suspended. The
# reply types and texts must be stock's. Whether plain ACKs come first
# depends on when each checks the free space (stock: every few records;
# ours: every 64 KiB): not compared.
if want 5; then
  P_FULL=$((P_ATTACK + 3))
  for action in ignore suspend; do
    for side in ours stock; do
      d=$W/full-$action-$side
      daemon_conf "$d" "$P_FULL" "local_events = no" "disk_full_action = $action"
      if [ $side = ours ]; then cmd=("$BIN" daemon -f -c "$d"); else cmd=("$STOCK" -n -c "$d"); fi
      ip netns exec "$NS" /bin/sh -c '/bin/mount -t tmpfs -o size=256k none "$0/log" && exec "$@"' \
        "$d" "${cmd[@]}" > /dev/null 2>> "$d/err" &
      FPID=$!
      PIDS+=("$FPID")
      for _ in $(seq 50); do in_ns "$CLIENT" 127.0.0.1 "$P_FULL" ack >/dev/null 2>&1 && break; sleep 0.1; done
      in_ns "$CLIENT" 127.0.0.1 "$P_FULL" blast 3000 > "$d.out"
      stop_pid "$FPID"
      sed -n 2p "$d.out" | sed 's/^ACK //' > "$d.types"
      echo "part 5: disk_full_action = $action: $side replied $(cat "$d.types")"
    done
  done
  check "part 5: disk_full_action = ignore: DISKLOW and DISKFULL \"disk full\", as stock's" \
    eval 'grep -qx "DISKLOW=\"\" DISKFULL=\"disk full\"" "$W/full-ignore-ours.types" &&
          cmp -s "$W/full-ignore-ours.types" "$W/full-ignore-stock.types"'
  # Stock writes through stdio and answers once a record is in its buffer:
  # the write() that fails carries records already answered, and no DISKFULL
  # goes out (seen: DISKLOW, then DISKERROR). Ours answers after its
  # write(): the records of the failed write get DISKFULL.
  check "part 5: disk_full_action = suspend: DISKFULL, then DISKERROR \"remote logging suspended\" (stock's text)" \
    eval 'grep -qx "DISKLOW=\"\" DISKFULL=\"disk full\" DISKERROR=\"remote logging suspended\"" "$W/full-suspend-ours.types" &&
          grep -q "DISKERROR=\"remote logging suspended\"" "$W/full-suspend-stock.types"'
fi

# --------------------------------------------------------- parts 2 to 4
pid_now=$(auditctl -s | awk '$1=="pid"{print $2}')
if ! want 2 && ! want 3 && ! want 4; then
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ] && exit 0 || exit 1
elif [ "$pid_now" != 0 ]; then
  echo "SKIP parts 2-4: audit pid $pid_now is held by another daemon"
  echo "$passes passed, $fails failed"
  [ "$fails" = 0 ] && exit 0 || exit 1
fi
auditctl -e 1 >/dev/null
auditctl -b 8192 >/dev/null
auditctl --backlog_wait_time 60000 >/dev/null
auditctl -a "${RULE[@]}" && RULE_ADDED=1

# Every line the sender logged up to its marker, and every node= line a
# receiver logged up to it: the same lines, each once.
compare_shipped() {  # compare_shipped WHAT SENDER_LOG RECEIVER_LOG MARKER
  local what=$1 s=$2 r=$3 m=$4
  awk -v m="$m" '{print} index($0, m){exit}' "$s" | sort > "$W/s.sorted"
  grep -a '^node=' "$r" | awk -v m="$m" '{print} index($0, m){exit}' | sort > "$W/r.sorted"
  local ns nr
  ns=$(wc -l < "$W/s.sorted"); nr=$(wc -l < "$W/r.sorted")
  echo "$what: sender logged $ns records, receiver got $nr ($(grep -c " key=\"$KEY\"" "$W/r.sorted") of the rule's SYSCALL records, $(grep -c '^node=bpfaudit ' "$W/r.sorted") autrace records)"
  if cmp -s "$W/s.sorted" "$W/r.sorted"; then ok "$what: every record arrives once"; else
    bad "$what: records differ"; diff "$W/s.sorted" "$W/r.sorted" | head -10; fi
}

# ---------------------------------------------------------------- part 2
RO=$W/recv-ours RS=$W/recv-stock SO=$W/send-ours
daemon_conf "$RO" "$P_OURS" "local_events = no" "distribute_network = yes"
daemon_conf "$RS" "$P_STOCK" "local_events = no" "distribute_network = yes"
# distribute_network: each receiver's plugin gets what arrives.
printf '#!/bin/sh\nexec /bin/cat >> "$1"\n' > "$W/catplug"
chmod 0750 "$W/catplug"
for d in "$RO" "$RS"; do
  printf 'active = yes\ndirection = out\npath = %s\ntype = always\nargs = %s\nformat = string\n' \
    "$W/catplug" "$d/plugin.out" > "$d/plugins.d/cat.conf"
  chmod 640 "$d/plugins.d/cat.conf"
done
daemon_conf "$SO" 0 "name_format = user" "name = sender1" "q_depth = 99999"
add_ar_plugin "$SO" to-ours "$P_OURS"
add_ar_plugin "$SO" to-stock "$P_STOCK"
start_stock "$RS" || { bad "part 2: stock receiver did not start"; cat "$RS/err"; }
RSP=$LAST
start_ours "$RO" || { bad "part 2: our receiver did not start"; cat "$RO/err"; }
ROP=$LAST
if ! want 2; then :
elif start_ours "$SO" -s nochange; then
  SOP=$LAST
  wait_count "$RO/log/audit.log" 100 "type=DAEMON_ACCEPT" 1
  wait_count "$RS/log/audit.log" 100 "type=DAEMON_ACCEPT" 1
  # A second connection from the same address: op=dup on both (one each by default).
  in_ns "$CLIENT" 127.0.0.1 "$P_OURS" garbage >/dev/null
  in_ns "$CLIENT" 127.0.0.1 "$P_STOCK" garbage >/dev/null
  "$FLOOD" 500 >/dev/null
  "$BIN_DIR/autrace" /bin/true >/dev/null 2>&1
  sleep 0.5
  M=bpfaudit-remote-marker-$$-2
  auditctl -m "$M"
  wait_count "$RO/log/audit.log" 200 "$M" 1
  wait_count "$RS/log/audit.log" 200 "$M" 1
  compare_shipped "part 2 (ours -> audisp-remote -> ours)" "$SO/log/audit.log" "$RO/log/audit.log" "$M"
  compare_shipped "part 2 (ours -> audisp-remote -> stock auditd)" "$SO/log/audit.log" "$RS/log/audit.log" "$M"
  check "part 2: autrace's records shipped" grep -aq '^node=bpfaudit type=SYSCALL' "$RO/log/audit.log"
  wait_count "$RO/plugin.out" 50 "$M" 1
  wait_count "$RS/plugin.out" 50 "$M" 1
  compare_shipped "part 2 (distribute_network, our receiver's plugin)" "$SO/log/audit.log" "$RO/plugin.out" "$M"
  compare_shipped "part 2 (distribute_network, stock receiver's plugin)" "$SO/log/audit.log" "$RS/plugin.out" "$M"
  stop_pid "$SOP"
  wait_count "$RO/log/audit.log" 50 "type=DAEMON_CLOSE" 1
  wait_count "$RS/log/audit.log" 50 "type=DAEMON_CLOSE" 1
  for t in DAEMON_ACCEPT DAEMON_CLOSE; do
    grep -a "^type=$t " "$RS/log/audit.log" | mask > "$W/stock.$t"
    grep -a "^type=$t " "$RO/log/audit.log" | mask > "$W/ours.$t"
    if cmp -s "$W/stock.$t" "$W/ours.$t"; then ok "part 2: $t records as stock's ($(wc -l < "$W/ours.$t"))"; else
      bad "part 2: $t records differ from stock's"; diff "$W/stock.$t" "$W/ours.$t"; fi
  done
  # SIGHUP: ours applies tcp_client_ports and tcp_client_max_idle at once.
  # Stock 3.0.9 with local_events = no never rereads: its SIGHUP handler asks
  # the kernel who sent the signal and reads the answer only from the netlink
  # socket it does not watch in that mode. So stock's records come from a
  # receiver started with each setting, compared with ours after SIGHUP.
  cp "$RO/auditd.conf" "$RO/auditd.conf.orig"
  hup_ours() {  # hup_ours N LINE: ours rereads with LINE added
    { cat "$RO/auditd.conf.orig"; [ -n "$2" ] && echo "$2"; } > "$RO/auditd.conf"
    kill -HUP "$ROP"
    wait_count "$RO/log/audit.log" 50 "type=DAEMON_CONFIG .*res=success" "$1"
  }
  kill -HUP "$RSP"
  sleep 1
  check "part 2: stock's pure receiver ignores SIGHUP (no DAEMON_CONFIG)" \
    test "$(grep -ac 'type=DAEMON_CONFIG' "$RS/log/audit.log")" = 0
  stock_with() {  # stock_with DIR LINE: a second stock receiver
    daemon_conf "$1" "$P_STOCK2" "local_events = no" "$2"
    start_stock "$1"
  }
  P_STOCK2=$((P_ATTACK + 1))
  hup_ours 1 "tcp_client_ports = 1-1023"
  stock_with "$W/stock-ports" "tcp_client_ports = 1-1023"
  S2=$LAST
  in_ns "$CLIENT" 127.0.0.1 "$P_OURS" garbage >/dev/null
  in_ns "$CLIENT" 127.0.0.1 "$P_STOCK2" garbage >/dev/null
  stop_pid "$S2"
  grep -a "op=port" "$RO/log/audit.log" | mask > "$W/ours.port"
  grep -a "op=port" "$W/stock-ports/log/audit.log" | mask > "$W/stock.port"
  check "part 2: op=port (after SIGHUP) as stock's: $(cat "$W/ours.port")" \
    eval 'test -s "$W/ours.port" && cmp -s "$W/ours.port" "$W/stock.port"'
  hup_ours 2 "tcp_client_max_idle = 1"
  stock_with "$W/stock-idle" "tcp_client_max_idle = 1"
  S2=$LAST
  for p in "$P_OURS" "$P_STOCK2"; do in_ns "$CLIENT" 127.0.0.1 "$p" ending >/dev/null & done
  before=$(grep -ac "type=DAEMON_CLOSE" "$RO/log/audit.log")
  wait_count "$RO/log/audit.log" 50 "type=DAEMON_CLOSE" $((before + 1))
  wait_count "$W/stock-idle/log/audit.log" 50 "type=DAEMON_CLOSE" 1
  stop_pid "$S2"
  grep -a "type=DAEMON_CLOSE" "$RO/log/audit.log" | tail -1 | mask > "$W/ours.idle"
  grep -a "type=DAEMON_CLOSE" "$W/stock-idle/log/audit.log" | head -1 | mask > "$W/stock.idle"
  check "part 2: idle close (after SIGHUP) as stock's: $(cat "$W/ours.idle")" \
    eval 'test -s "$W/ours.idle" && cmp -s "$W/ours.idle" "$W/stock.idle"'
  hup_ours 3 ""
else
  bad "part 2: our sender did not start"; cat "$SO/err"
fi
stop_pid "$RSP"

# ---------------------------------------------------------------- part 3
SS=$W/send-stock
daemon_conf "$SS" 0 "name_format = user" "name = stocksender"
add_ar_plugin "$SS" to-ours "$P_OURS"
if ! want 3; then :
elif start_stock "$SS"; then
  SSP=$LAST
  "$FLOOD" 300 >/dev/null
  M=bpfaudit-remote-marker-$$-3
  auditctl -m "$M"
  wait_count "$RO/log/audit.log" 200 "$M" 1
  grep -a '^node=stocksender ' "$RO/log/audit.log" > "$W/from-stock.log"
  compare_shipped "part 3 (stock auditd -> audisp-remote -> ours)" "$SS/log/audit.log" "$W/from-stock.log" "$M"
  stop_pid "$SSP"
else
  bad "part 3: stock sender did not start"; cat "$SS/err"
fi
stop_pid "$ROP"

# ---------------------------------------------------------------- part 4
RA=$W/attack
daemon_conf "$RA" "$P_ATTACK" "tcp_max_per_addr = 1024"
if ! want 4; then :
elif start_ours "$RA" -s nochange --no-collector; then
  RAP=$LAST
  LOG=$RA/log/audit.log
  in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" half-hold > "$W/half-hold.out" &
  HH=$!
  in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" noread > "$W/noread.out" &
  NR=$!
  mkfifo "$W/hold.fifo"
  in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" hold 500 < "$W/hold.fifo" > "$W/hold.out" &
  HO=$!
  exec 7> "$W/hold.fifo"
  for m in garbage oversize badtype half-eof; do
    check "part 4: $m: connection closed by the receiver" in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" "$m"
  done
  # Local events during the attack: each batch must be in the log within 3 s.
  stalled=0
  for b in 1 2 3 4 5; do
    before=$(grep -ac " key=\"$KEY\"" "$LOG")
    "$FLOOD" 200 >/dev/null
    wait_count "$LOG" 30 " key=\"$KEY\"" $((before + 200)) || stalled=$((stalled + 1))
    sleep 0.3
  done
  check "part 4: local events written during the attack (5 batches of 200 within 3 s each)" test "$stalled" = 0
  # With stock's listen queue of 5, the 500 connect()s wait on SYN retries.
  for _ in $(seq 600); do grep -q opened "$W/hold.out" && break; sleep 0.1; done
  # 60 s: in a CI run at load (compat tiers beside it) 10 s was too short,
  # though all 500 closes were recorded later in the same run.
  wait_count "$LOG" 600 "type=DAEMON_ACCEPT .* res=success" 506
  accepted=$(grep -ac 'type=DAEMON_ACCEPT .* res=success' "$LOG")
  check "part 4: 500 held connections accepted and recorded ($accepted of 506 accepts, client: $(head -1 "$W/hold.out"))" \
    test "$accepted" -ge 506
  wait "$NR"; check "part 4: a client that never reads its ACKs is dropped ($(cat "$W/noread.out"))" grep -aq "op=ack-backlog" "$LOG"
  wait "$HH"; check "part 4: a half frame left hanging is dropped ($(cat "$W/half-hold.out"))" test "$(grep -ac 'op=partial-frame' "$LOG")" = 2
  for op in bad-magic too-long bad-type; do
    check "part 4: DAEMON_CLOSE op=$op recorded" grep -aq "type=DAEMON_CLOSE .*op=$op addr=" "$LOG"
  done
  exec 7>&-
  wait "$HO"
  wait_count "$LOG" 100 "type=DAEMON_CLOSE .* res=success" 500
  check "part 4: the 500 closes recorded" test "$(grep -ac 'type=DAEMON_CLOSE .* res=success' "$LOG")" -ge 500
  check "part 4: the receiver still answers ($(in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" ack))" \
    test "$(in_ns "$CLIENT" 127.0.0.1 "$P_ATTACK" ack)" = "fe0000ff000000000040000004030201"
  check "part 4: the daemon survived" kill -0 "$RAP"
  stop_pid "$RAP"
else
  bad "part 4: our daemon did not start"; cat "$RA/err"
fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
