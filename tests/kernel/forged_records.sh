#!/bin/bash
# Forged records (issue 18): a traced program that controls comm, argv, the
# names it opens, its cwd, its environment and the socket addresses it
# connects to, and fills them with hostile bytes (forged_workload.c: newlines
# before `type=... msg=audit(...)`, quotes, spaces, 0x1d, control bytes,
# invalid UTF-8, names at and past PATH_MAX, a cwd deeper than PATH_MAX, a
# full sun_path, a 10000-byte argument, and names that change while open()
# blocks: its buffer rewritten, or the symlink swapped, by another thread).
#
# Each run is recorded twice at once: by autrace, and by the kernel under a
# rule of this test's own key on a login uid only the run's tree carries,
# written by `bpfaudit daemon --readlog` (no audit pid taken). Run 1 sends
# autrace's records to a file (-o), run 2 through the daemon's collector
# socket; the daemon hands every record to two plugins, format=string (a
# program appending its input) and builtin_af_unix (a reader).
#
# Asserted, for autrace's file, the daemon's log (kernel and autrace records)
# and what each plugin received:
#   - every line is one record whose header is the run's own (no line a
#     value could have forged), and stock `ausearch --raw` and ours count as
#     many records as there are lines; stock ausearch and aureport read the
#     log without complaint;
#   - the program's designated events (open, chdir, connect, execve, prctl,
#     getppid) are exactly those it made, with exactly the records each one causes,
#     and every value it controlled decodes to the bytes it used, raw and as
#     stock's and our `ausearch -i` show them (forged_check.pl);
#   - autrace's records of those events are the kernel's records of the same
#     run, field for field (types, comm, exe, names, cwd, saddr, EXECVE
#     pieces, PROCTITLE): the kernel is the oracle of the encoding. Known and
#     documented differences only: exec's ELF-interpreter item and inode
#     fields (README, autrace) and the name whose buffer was rewritten during
#     the syscall, which autrace reads at the syscall's exit.
#   - the plugins received exactly the records the log has (and EOE).
# The remote protocol: the daemon also runs two stock audisp-remote plugins
# (Debian audispd-plugins 3.0.9), each in a network namespace this test
# creates (loopback only) with its own config bind-mounted over
# /etc/audit/audisp-remote.conf in its own mount namespace, sending to a
# second `bpfaudit daemon` and to stock `auditd -n`, both pure receivers
# (tcp_listen_port, local_events = no: no audit pid, no netlink rule or
# enabled change) named recv-ours and recv-stock for their own records. Each
# receiver's log passes the file checks above, its values decode as the
# program used them, and its records other than its own are the sender's
# log, line for line (audisp-remote drops only EOE, which the log has not).
# That part alone is skipped, with a SKIP line, when audisp-remote, stock
# auditd (its receiver only), ip or network namespaces are missing (the
# vm-tests guests carry no audisp-remote).
# Skipped (77) without root, audit, BTF or stock tools. Restores enabled and
# backlog_limit, deletes its rule, stops its daemons and removes its network
# namespace on every exit.
#
# `prefilter` mode (kernel.forged_prefilter): the prefilter engine's live
# path instead of autrace's. The same program runs untraced, twice, with a
# rule of this test's key on getppid (an engine syscall: its event is
# SYSCALL + PROCTITLE) and the run's login uid: run 1 with the rule in the
# kernel, run 2 after `auditctl --prefilter on` moved it to the engine
# (asserted with `bpfaudit engine list --why`). The program's child, under
# its hostile exe, with its hostile argv (PROCTITLE) and three comms (its
# exe's name; a newline, a quote, 0x1d, 0xff; more than 15 bytes), calls
# getppid three times. The daemon (--readlog, which also reads the engine's
# ring) writes both runs' records and hands them to a format=string plugin.
# Asserted: the file checks above for the log and the plugin's stream;
# exactly 3 events of the key per run, each SYSCALL + PROCTITLE with the
# true comm, exe and proctitle, raw and in stock's and our `ausearch -i`;
# the engine's records equal the kernel's field for field; the plugin got
# the log's records and an EOE per event; prefilter_lost 0. Never takes the
# audit pid (skipped when another process holds it or another bpfaudit
# daemon runs: it would read the engine's ring); restores the prefilter
# choice, /var/lib/bpfaudit/prefilter byte for byte, and removes the pinned
# objects and bpffs mount that it made.
# usage: forged_records.sh BIN_DIR [prefilter]
set -u
BIN_DIR=$1
MODE=${2:-autrace}
case $MODE in autrace|prefilter) ;; *) echo "usage: $0 BIN_DIR [prefilter]" >&2; exit 2;; esac
CTL=$BIN_DIR/auditctl
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK=$HERE/forged_check.pl
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -e /proc/self/loginuid ] || { echo "SKIP: kernel without audit"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: kernel without BTF"; exit 77; }
for t in auditctl ausearch aureport perl; do
  command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
# The checker needs perl's strict and warnings modules (the vm-tests guests
# are given them with perl); without them the test skips rather than fails.
perl -Mstrict -e 1 2>/dev/null || { echo "SKIP: perl's standard modules missing"; exit 77; }
export TZ=UTC LC_ALL=C
WORK=$(readlink -f "$BIN_DIR/forged_workload")
[ -x "$WORK" ] || { echo "SKIP: forged_workload not built"; exit 77; }
COLL=/run/bpfaudit/collector.sock
if [ -e "$COLL" ]; then echo "SKIP: $COLL exists (another collector runs)"; exit 77; fi
status() { "$CTL" -s 2>/dev/null | awk -v k="$1" '$1==k{print $2; exit}'; }
if [ "$MODE" = prefilter ]; then
  [ -x "$CTL" ] || { echo "SKIP: $CTL not built"; exit 77; }
  # With an LSM task label the kernel's records carry subj=, which the
  # engine does not read: every rule then stays in the kernel.
  if label=$(cat /proc/self/attr/current 2>/dev/null) && [ -n "$label" ]; then
    echo "SKIP: tasks carry an LSM label ($label): the engine keeps every rule in the kernel here"
    exit 77
  fi
  # A holder of the audit pid: stock auditd makes --prefilter on refuse, a
  # registered bpfaudit daemon would read the engine's ring; so would any
  # other bpfaudit daemon (--readlog ones too).
  pid_now=$(status pid)
  [ "${pid_now:-0}" = 0 ] || { echo "SKIP: the audit pid is held (pid $pid_now)"; exit 77; }
  for p in /proc/[0-9]*; do
    [ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = bpfaudit ] &&
      tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q ' daemon' &&
      { echo "SKIP: another bpfaudit daemon runs (${p#/proc/})"; exit 77; }
  done
fi

KEY=bpfaudit-forged-$$
AUID=$((3100000000 + $$ % 1000000))
STATUS=$(auditctl -s)
OLD_ENABLED=$(awk '$1=="enabled"{print $2}' <<<"$STATUS")
OLD_BACKLOG=$(awk '$1=="backlog_limit"{print $2}' <<<"$STATUS")
RUN_DIR_WAS=$([ -d /run/bpfaudit ] && echo yes)
# The prefilter's global state (prefilter mode), saved before it is touched.
OLD_PF=$(status prefilter); OLD_PF=${OLD_PF:-off}
CHOICE=/var/lib/bpfaudit/prefilter
VARLIB_WAS=$([ -d "${CHOICE%/*}" ] && echo yes)
PIN=/sys/fs/bpf/bpfaudit/prefilter  # the prefilter's own (autrace's preloaded engine lives beside it)
PIN_WAS=$([ -e "$PIN" ] && echo yes)
BPFFS_WAS=$([ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && echo yes)
CATALOG_WAS=$([ -e /run/bpfaudit/prefilter.catalog ] && echo yes)
PF_TOUCHED=
DPID= RPID=
NS=bpfaudit-forged-$$ NS_MADE=
fails=0 passes=0
cleanup() {
  local p
  # Ours reaches the engine's share too; stock's, the kernel's.
  [ -n "$PF_TOUCHED" ] && "$CTL" -D -k "$KEY" >/dev/null 2>&1
  auditctl -D -k "$KEY" >/dev/null 2>&1
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  [ -n "$PF_TOUCHED" ] && restore_prefilter
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  if [ -n "$NS_MADE" ]; then
    # The receivers and audisp-remote: everything in the namespace is ours.
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
    sleep 0.2
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
  fi
  auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
  [ "$OLD_ENABLED" != 2 ] && auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  [ -z "$RUN_DIR_WAS" ] && rmdir /run/bpfaudit 2>/dev/null
  [ -n "${KEEP:-}" ] || [ -z "${W:-}" ] || rm -rf "$W"
}
restore_prefilter() {
  local now; now=$(status prefilter)
  [ "${now:-off}" = "$OLD_PF" ] || "$CTL" --prefilter "$OLD_PF" >/dev/null 2>&1 ||
    echo "FAIL: cannot turn the prefilter back $OLD_PF"
  # The choice file exactly as it was, bytes, mode and times (switching
  # writes its own, and off removes the directory).
  if [ -n "${CHOICE_SAVED:-}" ]; then
    mkdir -p "${CHOICE%/*}" && cp -p "$CHOICE_SAVED" "$CHOICE"
  else
    rm -f "$CHOICE"
  fi
  if [ -n "$VARLIB_WAS" ]; then
    mkdir -p "${CHOICE%/*}" && touch -r "$W/varlib.ref" "${CHOICE%/*}"
  else
    rmdir "${CHOICE%/*}" 2>/dev/null
  fi
  [ -n "$CATALOG_WAS" ] || rm -f /run/bpfaudit/prefilter.catalog
  # Left behind by --prefilter off, unless another process chose the
  # prefilter meanwhile: then the pins are its own.
  if [ -z "$PIN_WAS" ] && [ -e "$PIN" ] && [ ! -e "$CHOICE" ]; then
    echo "FAIL: $PIN still there after --prefilter $OLD_PF; removing it: $(find "$PIN" | tr "\n" " ")"
    rm -rf "$PIN"
  fi
  # --prefilter on mounts bpffs when missing: unmounted again if nothing but
  # the kernel's own *.debug files is in it.
  if [ -z "$BPFFS_WAS" ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] &&
     [ -z "$(find /sys/fs/bpf -mindepth 1 -not -name '*.debug' 2>/dev/null)" ]; then
    umount /sys/fs/bpf 2>/dev/null
  fi
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM
# Made once the traps are set: a signal just before would leave it behind.
W=$(mktemp -d /tmp/bpfaudit-forged.XXXXXX)
chmod 755 "$W"
if [ -e "$CHOICE" ]; then CHOICE_SAVED=$W/prefilter.choice; cp -p "$CHOICE" "$CHOICE_SAVED"; fi
[ -n "$VARLIB_WAS" ] && touch -r "${CHOICE%/*}" "$W/varlib.ref"
[ "$OLD_ENABLED" = 2 ] && { echo "SKIP: audit configuration locked"; exit 77; }
grep -q '1 locked' <<<"$(auditctl -s | grep loginuid_immutable)" &&
  { echo "SKIP: loginuid immutable"; exit 77; }

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# check_out WHAT CMD...: CMD's output shown, its status the verdict.
check_out() {
  local what=$1 out rc; shift
  out=$("$@" 2>&1); rc=$?
  echo "$out" | head -20 | cut -c1-300 | sed 's/^/  /'
  if [ $rc = 0 ]; then ok "$what"; else bad "$what"; fi
}

D=$W/run  # the workload's directory: the same path in both runs
"$WORK" --manifest "$D" > "$W/manifest" || { echo "FAIL: no manifest"; exit 1; }
# The last run's tree is renamed aside, not removed: it is deeper than
# PATH_MAX, which busybox rm (the vm-tests guests) cannot remove ("File name
# too long"); the end of the test removes $W with whatever rm there is.
runs=0
prepare() {
  if [ -e "$D" ]; then runs=$((runs + 1)); mv "$D" "$D.old$runs" || return 1; fi
  mkdir "$D" && "$WORK" --prepare "$D"
}

# check_files FILE...: one record a line, the run's own, read by stock tools.
check_files() {
  local f name lines stock ours rc
  for f in "$@"; do
    name=${f#$W/}
    check_out "$name: every line is a record of this run" perl "$CHECK" headers "$f" "$T0" "$T1"
    lines=$(wc -l < "$f")
    stock=$(ausearch --raw -if "$f" 2>"$W/err" | wc -l)
    check "$name: stock ausearch --raw reads $stock records of $lines lines, no complaint" \
      bash -c "[ $stock = $lines ] && [ ! -s '$W/err' ]"
    ours=$("$BIN_DIR/ausearch" --raw -if "$f" 2>/dev/null | wc -l)
    check "$name: our ausearch --raw reads $ours" [ "$ours" = "$lines" ]
    ausearch -if "$f" -i >/dev/null 2>"$W/err"; rc=$?
    check "$name: stock ausearch -i reads it (rc=$rc, no stderr)" bash -c "[ $rc = 0 ] && [ ! -s '$W/err' ]"
    aureport -if "$f" >/dev/null 2>"$W/err"; rc=$?
    check "$name: stock aureport reads it (rc=$rc, no stderr)" bash -c "[ $rc = 0 ] && [ ! -s '$W/err' ]"
    [ -s "$W/err" ] && head -5 "$W/err"
  done
}

# side LOG ROOT NODE WHO TAG [ONLY]: ONLY, the syscalls of an untraced run's
# rule (forged_check.pl).
side() {
  local log=$1 root=$2 node=$3 who=$4 tag=$5 only=("${@:6}")
  check_out "$tag: the program's events and records, each value decoded as it used it" \
    perl "$CHECK" truth "$W/manifest" "$log" "$root" "$node" "$who" "${only[@]}"
  ausearch -if "$log" -i > "$W/$tag.stock.i" 2>/dev/null
  "$BIN_DIR/ausearch" -if "$log" -i > "$W/$tag.ours.i" 2>/dev/null
  check_out "$tag: stock ausearch -i shows the values the program used" \
    perl "$CHECK" interp "$W/manifest" "$W/$tag.stock.i" "$root" "$node" "${only[@]}"
  check_out "$tag: our ausearch -i shows them too" \
    perl "$CHECK" interp "$W/manifest" "$W/$tag.ours.i" "$root" "$node" "${only[@]}"
}

# A hostile variable in the environment autrace and the program inherit (the
# workload gives its exec'd child another one).
HOSTILE_ENV=$(printf 'v\ntype=USER_AUTH msg=audit(1700000000.000:9): pid=1 res=success\x1d\xff')

# untraced TAG: the program run as autrace runs it (the run's login uid, the
# hostile environment), untraced; its pid in ROOT.
untraced() {
  local rc
  env -i "FORGED=$HOSTILE_ENV" PATH=/usr/bin:/bin bash -c \
    "echo $AUID > /proc/self/loginuid && exec \"\$@\"" untraced "$WORK" "$D" \
    </dev/null >"$W/$1.out" 2>&1 &
  ROOT=$!
  wait $ROOT; rc=$?
  check "$1: the program exits 0 (rc=$rc)" [ $rc = 0 ]
  [ $rc = 0 ] || cat "$W/$1.out"
}
# keyed LOG NODE: SYSCALL records of this test's key with node NODE (- none).
keyed() {
  local n=$2; [ "$n" = - ] && n='' || n="node=$n "
  grep -a "^${n}type=SYSCALL .* key=\"$KEY\"" "$1" | grep -c .
}
# The prefilter mode (see the top): run 1 with the rule in the kernel, run 2
# on the engine, one daemon writing both.
prefilter_mode() {
  local rc LOG=$W/log/audit.log want
  want=$(grep -c '^[0-9]* getppid ' "$W/manifest")
  chmod 640 "$W/conf/auditd.conf" "$W/plugins.d/"*.conf
  "$BIN_DIR/bpfaudit" daemon -f -c "$W/conf" --readlog --no-collector 2>"$W/daemon.err" &
  DPID=$!
  wait_grep "$W/daemon.err" 100 "Init complete" ||
    { echo "FAIL: the daemon did not start"; cat "$W/daemon.err"; exit 1; }
  auditctl -b 8192 >/dev/null
  [ "$OLD_ENABLED" = 0 ] && auditctl -e 1 >/dev/null
  PF_TOUCHED=1
  # A rule added while the prefilter is on goes to the engine at once.
  if [ "$OLD_PF" = on ]; then
    "$CTL" --prefilter off >/dev/null || { echo "FAIL: cannot turn the prefilter off"; exit 1; }
  fi
  "$CTL" -a always,exit -F arch=b64 -S getppid -F auid=$AUID -k "$KEY" >/dev/null ||
    { echo "FAIL: cannot add the rule"; exit 1; }
  prepare || { echo "FAIL: cannot prepare $D"; exit 1; }
  untraced run1
  ROOT1=$ROOT
  # Waits long enough for a starved run (the whole test once took 51 s, at
  # nice 19 beside a nice -20 benchmark); a normal one takes ~6 s.
  for _ in $(seq 200); do [ "$(keyed "$LOG" -)" -ge "$want" ] && break; sleep 0.1; done
  "$CTL" --prefilter on > "$W/pf-on.out" 2>&1; rc=$?
  check "--prefilter on exits 0 (rc=$rc)" [ $rc = 0 ]
  [ $rc = 0 ] || { cat "$W/pf-on.out"; exit 1; }
  "$BIN_DIR/bpfaudit" engine list --why > "$W/engine.list" 2>&1
  check "the engine holds the rule: $(grep -a -- "key=$KEY" "$W/engine.list" | cut -c1-200)" \
    grep -q "^engine	.*-F key=$KEY\$" "$W/engine.list"
  wait_grep "$W/daemon.err" 100 "Reading the prefilter engine"
  check "the daemon reads the engine" grep -q "Reading the prefilter engine" "$W/daemon.err"
  prepare || { echo "FAIL: cannot prepare $D"; exit 1; }
  untraced run2
  ROOT2=$ROOT
  for _ in $(seq 200); do [ "$(keyed "$LOG" bpfaudit)" -ge "$want" ] && break; sleep 0.1; done
  sleep 0.5  # any event too many
  local lost; lost=$(status prefilter_lost)
  check "auditctl -s: prefilter_lost ${lost:-missing} = 0" [ "${lost:-x}" = 0 ]
  "$CTL" -D -k "$KEY" >/dev/null
  # Switched off while the daemon reads the engine, and the daemon stopped
  # at once, before its next 100 ms tick lets the unpinned ring go: its stop
  # dereferenced the ring it had just let go (SIGSEGV in 5 of 5 runs).
  "$CTL" --prefilter off > "$W/pf-off.out" 2>&1; rc=$?
  check "--prefilter off exits 0 (rc=$rc)" [ $rc = 0 ]
  kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
  check "daemon exits 0 on SIGTERM just after --prefilter off (rc=$rc)" [ $rc = 0 ]
  T1=$(($(date +%s) + 1))
  echo "runs: kernel $ROOT1, engine $ROOT2; log $(wc -l < "$LOG") records"

  check_files "$LOG" "$W/plugin.out"
  local k e
  k=$(keyed "$LOG" -); e=$(keyed "$LOG" bpfaudit)
  check "the kernel wrote $k events of the key, the program caused $want" [ "$k" = "$want" ]
  check "the engine wrote $e events of the key, the program caused $want" [ "$e" = "$want" ]
  side "$LOG" "$ROOT1" - kernel kernel getppid
  side "$LOG" "$ROOT2" bpfaudit engine engine getppid
  perl "$CHECK" shape "$LOG" "$ROOT1" - > "$W/kernel.shape"
  perl "$CHECK" shape "$LOG" "$ROOT2" bpfaudit > "$W/engine.shape"
  if [ -s "$W/kernel.shape" ] && diff "$W/kernel.shape" "$W/engine.shape" > "$W/shape.diff"; then
    ok "the engine wrote the kernel's records and values for all $(wc -l < "$W/kernel.shape") events"
  else
    bad "the engine's records differ from the kernel's (< kernel, > engine):"
    cut -c1-400 "$W/shape.diff" | head -12
  fi
  # The plugin: the log's records, and an EOE after each event.
  check "plugin.out: the records the log has, no more, no fewer" \
    diff <(grep -av 'type=EOE msg' "$W/plugin.out" | sort) <(sort "$LOG")
  check_out "plugin.out: the engine's events and values" \
    perl "$CHECK" truth "$W/manifest" "$W/plugin.out" "$ROOT2" bpfaudit engine getppid
  check "plugin.out: an EOE after each of the engine's events" \
    [ "$(grep -ac '^node=bpfaudit type=EOE ' "$W/plugin.out")" = "$e" ]
  # The global state back as it was, asserted here (the exit trap repeats
  # the restore only when this was not reached).
  restore_prefilter
  PF_TOUCHED=
  check "the prefilter is $OLD_PF again" [ "$(status prefilter)" = "$( [ "$OLD_PF" = on ] && echo on)" ]
  if [ -n "${CHOICE_SAVED:-}" ]; then
    check "$CHOICE as it was (bytes, mode, mtime)" [ "$(stat -c '%a %U %Y' "$CHOICE_SAVED")" = "$(stat -c '%a %U %Y' "$CHOICE" 2>&1)" ] &&
      check "$CHOICE: the same bytes" cmp "$CHOICE_SAVED" "$CHOICE"
  else
    check "$CHOICE absent, as it was" [ ! -e "$CHOICE" ]
  fi
  [ -n "$PIN_WAS" ] || check "$PIN removed" [ ! -e "$PIN" ]
  echo "forged records (prefilter): $passes passed, $fails failed"
  [ $fails = 0 ]
}

# The daemon: the log, the collector socket, two plugins.
mkdir -p "$W/conf" "$W/log" "$W/plugins.d"
{ echo "log_file = $W/log/audit.log"; echo "space_left = 2"; echo "admin_space_left = 1"
  echo "plugin_dir = $W/plugins.d"; echo "q_depth = 99999"; } > "$W/conf/auditd.conf"
printf '#!/bin/sh\nexec /bin/cat >> "$1"\n' > "$W/catplugin"
chmod 0750 "$W/catplugin"
printf 'active = yes\ndirection = out\npath = %s\ntype = always\nargs = %s\nformat = string\n' \
  "$W/catplugin" "$W/plugin.out" > "$W/plugins.d/string.conf"
wait_grep() {  # wait_grep FILE TENTHS PATTERN
  for _ in $(seq "$2"); do grep -aq -- "$3" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

T0=$(date +%s)
[ "$MODE" = prefilter ] && { prefilter_mode; exit; }
# The remote protocol: receivers in a network namespace of this test's own
# (only its loopback exists there, so any port is free), fed by audisp-remote
# plugins of the daemon, which stays outside: the kernel multicasts its
# records (--readlog) only in the initial network namespace.
AR=/sbin/audisp-remote STOCKD=/sbin/auditd
RECEIVERS=()
if [ ! -x "$AR" ]; then echo "SKIP (remote protocol): $AR missing (Debian audispd-plugins)"
elif [ ! -e /etc/audit/audisp-remote.conf ]; then
  echo "SKIP (remote protocol): no /etc/audit/audisp-remote.conf to mount a config over"
elif ! command -v ip >/dev/null; then echo "SKIP (remote protocol): ip (iproute2) missing"
elif ! { NS_MADE=1; ip netns add "$NS" 2>/dev/null; }; then
  NS_MADE=
  echo "SKIP (remote protocol): cannot create a network namespace"
else
  ip netns exec "$NS" ip link set lo up
  port=$((20000 + RANDOM % 20000))
  RECEIVERS=(ours)
  if [ -x "$STOCKD" ]; then RECEIVERS+=(stock); else echo "SKIP (remote protocol): stock $STOCKD missing, no stock receiver"; fi
  # audisp-remote reads only /etc/audit/audisp-remote.conf: `ip netns exec`
  # gives it a mount namespace of its own (a slave of the host's), in which
  # its config is bind-mounted over that path; the host's file is untouched.
  # Plugins start with an empty environment, hence the absolute paths.
  printf '#!/bin/sh\nexec %s netns exec %s /bin/sh -c %s "$1"\n' "$(command -v ip)" "$NS" \
    "'/bin/mount --bind \"\$0\" /etc/audit/audisp-remote.conf && exec $AR'" > "$W/ar-wrap"
  chmod 0750 "$W/ar-wrap"
  for r in "${RECEIVERS[@]}"; do
    port=$((port + 1))
    d=$W/recv-$r
    mkdir -p "$d/log" "$d/plugins.d"
    # Its own records carry node=recv-ours (or recv-stock); the sender has
    # no name_format, so what it sends arrives as its log has it.
    printf 'log_file = %s\nlog_format = RAW\nspace_left = 2\nadmin_space_left = 1\nplugin_dir = %s\ntcp_listen_port = %s\nlocal_events = no\nname_format = user\nname = recv-%s\n' \
      "$d/log/audit.log" "$d/plugins.d" "$port" "$r" > "$d/auditd.conf"
    chmod 640 "$d/auditd.conf"
    if [ "$r" = ours ]; then
      ip netns exec "$NS" "$BIN_DIR/bpfaudit" daemon -f -c "$d" 2>"$d/err" &
    else
      # Stock writes /var/run/auditd.pid: a tmpfs over /run in its own mount
      # namespace keeps a host auditd's file as it is.
      ip netns exec "$NS" /bin/sh -c 'mount -t tmpfs none /run && exec "$1" -n -c "$0"' \
        "$d" "$STOCKD" 2>"$d/err" &
    fi
    eval "RPID_$r=\$!"
    wait_grep "$d/log/audit.log" 100 "type=DAEMON_START " ||
      { echo "FAIL: the $r receiver did not start"; cat "$d/err"; exit 1; }
    # Retries long enough for a loaded machine; nothing here is lost on purpose.
    { echo "remote_server = 127.0.0.1"; echo "port = $port"; echo "transport = tcp"
      echo "mode = immediate"; echo "queue_depth = 200000"; echo "format = managed"
      echo "network_retry_time = 1"; echo "max_tries_per_record = 60"; echo "max_time_per_record = 60"
      echo "heartbeat_timeout = 0"; echo "network_failure_action = syslog"
      echo "remote_ending_action = reconnect"; echo "queue_error_action = stop"
      echo "overflow_action = syslog"; echo "startup_failure_action = warn_once_continue"
    } > "$W/ar-$r.conf"
    chmod 640 "$W/ar-$r.conf"
    printf 'active = yes\ndirection = out\npath = %s\ntype = always\nargs = %s\nformat = string\n' \
      "$W/ar-wrap" "$W/ar-$r.conf" > "$W/plugins.d/remote-$r.conf"
  done
fi
printf 'active = yes\ndirection = out\npath = builtin_af_unix\ntype = builtin\nargs = 0640 %s\nformat = string\n' \
  "$W/af.sock" > "$W/plugins.d/af_unix.conf"
chmod 640 "$W/conf/auditd.conf" "$W/plugins.d/"*.conf
"$BIN_DIR/bpfaudit" daemon -f -c "$W/conf" --readlog --collector "$COLL" 2>"$W/daemon.err" &
DPID=$!
DAEMON_PID=$DPID  # its own events: see "the plugins" below
for _ in $(seq 100); do
  grep -q "Init complete" "$W/daemon.err" 2>/dev/null && [ -S "$COLL" ] && [ -S "$W/af.sock" ] && break
  kill -0 "$DPID" 2>/dev/null || break
  sleep 0.1
done
[ -S "$COLL" ] || { echo "FAIL: the daemon did not start"; cat "$W/daemon.err"; exit 1; }
for r in "${RECEIVERS[@]}"; do
  wait_grep "$W/recv-$r/log/audit.log" 100 "type=DAEMON_ACCEPT .* res=success" ||
    { echo "FAIL: audisp-remote did not connect to the $r receiver"; cat "$W/recv-$r/err"; exit 1; }
done
"$BIN_DIR/plugin_frames" --read-socket "$W/af.sock" "$W/af.out" &
RPID=$!
for _ in $(seq 50); do [ -e "$W/af.out.connected" ] && break; sleep 0.1; done
sleep 0.2  # accepted by the daemon's loop

auditctl -b 8192 >/dev/null
[ "$OLD_ENABLED" = 0 ] && auditctl -e 1 >/dev/null
# Every syscall of the run's tree, its pre-exec ones included (autrace
# emulates that: a task's PROCTITLE is fixed at its first audited syscall),
# but not autrace's own (a child of this shell) nor its detached helper's
# (reparented to init; the traced tree descends from autrace): they made the
# log ten times longer.
auditctl -a always,exit -F arch=b64 -S all -F auid=$AUID -F ppid!=$$ -F ppid!=1 -k "$KEY" \
  >/dev/null ||
  { echo "FAIL: cannot add the kernel rule"; exit 1; }

trace() {  # trace TAG [autrace options]: the traced program's pid in ROOT
  local tag=$1 out=$W/$1.out rc; shift
  env -i "FORGED=$HOSTILE_ENV" PATH=/usr/bin:/bin bash -c \
    "echo $AUID > /proc/self/loginuid && exec \"\$@\"" trace \
    "$BIN_DIR/autrace" "$@" "$WORK" "$D" </dev/null >"$out" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
  rc=$?
  check "$tag: autrace $* exits 0 (rc=$rc)" [ $rc = 0 ]
  [ $rc = 0 ] || cat "$out"
  ROOT=$(sed -n "s/.*-p \([0-9]*\)'.*/\1/p" "$out" | head -1)
}
prepare || { echo "FAIL: cannot prepare $D"; exit 1; }
trace run1 -o "$W/file.log"
ROOT1=$ROOT
prepare || { echo "FAIL: cannot prepare $D"; exit 1; }
trace run2
ROOT2=$ROOT
check "run 2 went through the collector (no -if in the search command)" \
  grep -q "locate the records with 'ausearch -i -p" "$W/run2.out"
# The collector holds records 200 ms; the kernel's queue drains behind.
sleep 1
auditctl -D -k "$KEY" >/dev/null
sleep 0.5
LOG=$W/log/audit.log
# The receivers hold all the log has so far before the daemon stops (its
# DAEMON_END follows at the stop: audisp-remote sends what it has read before
# it exits).
for r in "${RECEIVERS[@]}"; do
  want=$(wc -l < "$LOG")
  for _ in $(seq 300); do
    [ "$(grep -avc '^node=recv-' "$W/recv-$r/log/audit.log")" -ge "$want" ] && break
    sleep 0.1
  done
done
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
check "daemon exits 0 on SIGTERM (rc=$rc)" [ $rc = 0 ]
for r in "${RECEIVERS[@]}"; do
  d=$W/recv-$r
  wait_grep "$d/log/audit.log" 100 "^node=recv-$r type=DAEMON_CLOSE "
  eval "p=\$RPID_$r"
  kill -TERM "$p"; wait "$p"; rc=$?
  check "the $r receiver exits 0 on SIGTERM (rc=$rc)" [ $rc = 0 ]
  [ $rc = 0 ] || tail -5 "$d/err"
done
wait "$RPID" 2>/dev/null; RPID=
T1=$(($(date +%s) + 1))
echo "runs: file $ROOT1, collector $ROOT2; log $(wc -l < "$LOG") records"

# --- every file: one record a line, the run's own, read by stock tools ------
RLOGS=()
for r in "${RECEIVERS[@]}"; do RLOGS+=("$W/recv-$r/log/audit.log"); done
check_files "$W/file.log" "$LOG" "$W/plugin.out" "$W/af.out" "${RLOGS[@]}"

# --- each run: the events, their records and values, the kernel as oracle ---
compare() {  # compare KLOG ALOG ROOT TAG: autrace's records against the kernel's
  local klog=$1 alog=$2 root=$3 tag=$4 fake
  perl "$CHECK" shape "$klog" "$root" - > "$W/$tag.kernel.shape"
  # The one documented difference: the rewritten buffer (see above).
  fake='name="/nonexistent-forged/FAKE"'
  perl "$CHECK" shape "$alog" "$root" bpfaudit |
    sed "s|$fake|name=\"$D/fifo-a\"|" > "$W/$tag.autrace.shape"
  local n; n=$(wc -l < "$W/$tag.kernel.shape")
  check "$tag: autrace read the rewritten name at exit (documented)" \
    bash -c "perl '$CHECK' shape '$alog' '$root' bpfaudit | grep -qF '$fake'"
  if diff "$W/$tag.kernel.shape" "$W/$tag.autrace.shape" > "$W/$tag.diff"; then
    ok "$tag: autrace wrote the kernel's records and values for all $n events"
  else
    bad "$tag: autrace's records differ from the kernel's (< kernel, > autrace):"
    cut -c1-400 "$W/$tag.diff" | head -12
  fi
}
side "$LOG" "$ROOT1" - kernel kernel-run1
side "$W/file.log" "$ROOT1" bpfaudit autrace autrace-file
compare "$LOG" "$W/file.log" "$ROOT1" run1
side "$LOG" "$ROOT2" - kernel kernel-run2
side "$LOG" "$ROOT2" bpfaudit autrace autrace-collector
compare "$LOG" "$LOG" "$ROOT2" run2

# --- the plugins: exactly the log's records, and EOE ------------------------
# The daemon's own syscalls: with audit already enabled when the test began
# (a host's usual state), its netlink bind at start is audited (an
# EVENT_LISTENER record with its SYSCALL and PROCTITLE) before the af_unix
# reader has connected, so the log has that event and the reader does not.
own_events() {  # own_events FILE: its records without the daemon's own events
  awk -v pid="$DAEMON_PID" '
    { s = ""; if (match($0, /msg=audit\([0-9.]+:[0-9]+\)/)) s = substr($0, RSTART, RLENGTH) }
    NR == FNR { if (s != "" && $0 ~ ("^type=SYSCALL .* pid=" pid " ")) own[s] = 1; next }
    !(s in own)' "$LOG" "$1"
}
for p in plugin.out af.out; do
  # The log orders the collector's records by time (200 ms hold), the
  # dispatcher hands them on as they come: the same records, in another
  # order. DAEMON_START goes out before the af_unix reader connects.
  check "$p: the records the log has, no more, no fewer ($(grep -vac 'type=EOE msg' "$W/$p") records)" \
    diff <(own_events "$W/$p" | grep -av 'type=EOE msg\|type=DAEMON_START msg' | sort) \
         <(own_events "$LOG" | grep -av 'type=DAEMON_START msg' | sort)
  check_out "$p: the collector run's events and values" \
    perl "$CHECK" truth "$W/manifest" "$W/$p" "$ROOT2" bpfaudit autrace
  check_out "$p: the kernel's events of run 1 and their values" \
    perl "$CHECK" truth "$W/manifest" "$W/$p" "$ROOT1" - kernel
done

# --- the remote protocol: the log's records, as the log has them ----------
# All of them, the sender's DAEMON_END too: it is written just before the
# plugins' input ends, and stock audisp-remote sends what it holds at the end
# of its input only when stdin is a pipe (the dispatcher's choice since this
# test: over stock's socketpair it reached a receiver in 19 of 32 tries).
sort "$LOG" > "$W/log.sorted"
for r in "${RECEIVERS[@]}"; do
  f=$W/recv-$r/log/audit.log
  grep -av "^node=recv-$r " "$f" | sort > "$W/recv-$r.sorted"
  if cmp -s "$W/recv-$r.sorted" "$W/log.sorted"; then
    ok "recv-$r: the sender's log, line for line (all $(wc -l < "$W/log.sorted") records)"
  else
    bad "recv-$r: not the sender's log (< received, > logged):"
    diff "$W/recv-$r.sorted" "$W/log.sorted" | cut -c1-300 | head -10
  fi
  # What the receiver adds: its start and end, and the one connection.
  own=$(grep -a "^node=recv-$r " "$f" | sed 's/^node=[^ ]* type=\([A-Z_]*\) .*/\1/' | tr '\n' ' ')
  check "recv-$r: of its own, only $own" \
    [ "$own" = "DAEMON_START DAEMON_ACCEPT DAEMON_CLOSE DAEMON_END " ]
  side "$f" "$ROOT1" - kernel "recv-$r-kernel-run1"
  side "$f" "$ROOT2" - kernel "recv-$r-kernel-run2"
  side "$f" "$ROOT2" bpfaudit autrace "recv-$r-autrace-collector"
done

echo "forged records: $passes passed, $fails failed"
[ $fails = 0 ]
