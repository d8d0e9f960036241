#!/bin/bash
# Differential kernel test of the prefilter engine: the same exit rules and
# the same workload (tests/kernel/pf_workload.c), once with the rules in the
# kernel and once with `auditctl --prefilter on`, each time with `bpfaudit
# daemon` registered and writing the log. Per rule key the two logs must hold
# the same events with the same records (types and fields, after dropping
# what legitimately differs between runs: time, serial, node, EOE, pid and
# ppid, and exit where it is the caller's pid or ppid), and the expected
# number of them (0 where a rule must not match).
#
# The rules select the workload's calls by tags in unused argument registers
# (a0..a3), by the session of this script (it sets its own loginuid, so every
# child has a fixed auid and one session id) and by pid/ppid.
#
# Restores on every exit: deletes only its own rules (by key), turns the
# prefilter back to what it was, restores enabled/backlog/backlog_wait_time,
# stops its daemon and workloads, removes /sys/fs/bpf/bpfaudit if it was not
# there before, and its temp dir.
# usage: prefilter_diff.sh BIN_DIR
set -u
BIN_DIR=$(cd "$1" && pwd) || exit 1
CTL=$BIN_DIR/auditctl
BIN=$BIN_DIR/bpfaudit
SEARCH=$BIN_DIR/ausearch
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no /sys/kernel/btf/vmlinux"; exit 77; }
for b in "$CTL" "$BIN" "$SEARCH"; do [ -x "$b" ] || { echo "FAIL: $b missing"; exit 1; }; done
# With an LSM task label (AppArmor, SELinux) the kernel's records carry
# subj=, which the engine does not read: it then keeps every rule in the
# kernel (tests/unit/placement_test.cc covers that decision), and there is
# no engine side to compare.
if label=$(cat /proc/self/attr/current 2>/dev/null) && [ -n "$label" ]; then
  echo "SKIP: tasks carry an LSM label ($label): the engine keeps every rule in the kernel here"
  exit 77
fi
export TZ=UTC LC_ALL=C

status() { "$CTL" -s 2>/dev/null | awk -v k="$1" '$1==k{print $2; exit}'; }
pid_now=$(status pid)
[ "${pid_now:-0}" = 0 ] || { echo "SKIP: audit pid $pid_now is held by another daemon"; exit 77; }

W=$(mktemp -d /tmp/bpfaudit-pf-diff.XXXXXX)
chmod 755 "$W"
PIN=/sys/fs/bpf/bpfaudit/prefilter
PIN_BEFORE=no; [ -e "$PIN" ] && PIN_BEFORE=yes
# --prefilter on mounts bpffs when missing; unmounted again if it was
# missing and nothing but the kernel's own *.debug files is in it.
BPFFS_BEFORE=no; [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && BPFFS_BEFORE=yes
RUNDIR=/run/bpfaudit   # the engine's rule catalog lives there
RUNDIR_BEFORE=no; [ -e "$RUNDIR" ] && RUNDIR_BEFORE=yes
OLD_ENABLED=$(status enabled)
OLD_BACKLOG=$(status backlog_limit)
OLD_WAIT=$(status backlog_wait_time)
OLD_PF=$(status prefilter); OLD_PF=${OLD_PF:-off}
PF_CHANGED=no
DPID=
PAUSED=
KEYS=()
fails=0
passes=0

unmount_bpffs() {
  [ "$BPFFS_BEFORE" = no ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] || return 0
  [ -z "$(find /sys/fs/bpf -mindepth 1 -not -name '*.debug' 2>/dev/null)" ] && umount /sys/fs/bpf 2>/dev/null
  return 0
}
cleanup() {
  [ -n "$PAUSED" ] && kill -KILL "$PAUSED" 2>/dev/null && wait "$PAUSED" 2>/dev/null
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  if [ "$PF_CHANGED" = yes ] && [ "$(status prefilter)" != "$OLD_PF" ]; then
    "$CTL" --prefilter "$OLD_PF" >/dev/null 2>&1
  fi
  local k
  for k in "${KEYS[@]}"; do "$CTL" -D -k "$k" >/dev/null 2>&1; done
  # Net under the net: whatever the kernel still holds with our keys.
  for k in "${KEYS[@]}"; do
    auditctl -l 2>/dev/null | grep -q -- "-F key=$k\$" && auditctl -D -k "$k" >/dev/null 2>&1
  done
  if [ "$PIN_BEFORE" = no ] && [ -e "$PIN" ]; then
    echo "FAIL: $PIN still there after --prefilter off; removing it"
    rm -rf "$PIN"
  fi
  if [ "$RUNDIR_BEFORE" = no ] && [ -d "$RUNDIR" ]; then
    echo "NOTE: --prefilter off left $RUNDIR behind; removing it (if empty)"
    rmdir "$RUNDIR" 2>/dev/null
  fi
  unmount_bpffs
  [ -n "$OLD_BACKLOG" ] && "$CTL" -b "$OLD_BACKLOG" >/dev/null 2>&1
  [ -n "$OLD_WAIT" ] && "$CTL" --backlog_wait_time "$OLD_WAIT" >/dev/null 2>&1
  [ -n "$OLD_ENABLED" ] && "$CTL" -e "$OLD_ENABLED" >/dev/null 2>&1
  # KEEP=DIR keeps a copy of the logs and listings.
  [ -n "${KEEP:-}" ] && cp -r "$W" "$KEEP"
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# The workload: PF_WORKLOAD, the build's, or compiled here when the build
# has none yet.
WL=${PF_WORKLOAD:-$BIN_DIR/pf_workload}
if [ ! -x "$WL" ]; then
  WL=$W/pf_workload
  cc -O2 -o "$WL" "$HERE/pf_workload.c" || { echo "FAIL: cannot build pf_workload"; exit 1; }
fi

# One auid and one session for this script and all it starts, the same in
# both runs (loginuid_immutable 0 and CAP_AUDIT_CONTROL: root may set it).
echo 4242 > /proc/self/loginuid 2>/dev/null
AUID=$(cat /proc/self/loginuid)
SES=$(cat /proc/self/sessionid)
echo "auid $AUID ses $SES script pid $$"

T() { printf '0x%x' $((0x7000000 + 10#$1)); }
K() { echo "bpfaudit-pf-$$-$1"; }

# --- the rules: RULES[n] (auditctl arguments, without the key), EXP[n] the
# events expected for key n. Rule n selects tag T n unless said otherwise.
declare -A RULES EXP
B64=(-F arch=b64)
add() { local n=$1 e=$2; shift 2; RULES[$n]="$*"; EXP[$n]=$e; KEYS+=("$(K "$n")"); }
# a0..a2 (-1 as 0xffffffff), success=1, ses
add 01 1 -a always,exit "${B64[@]}" -S setresuid -F a0=0xffffffff -F a1=0xffffffff -F a2=0xffffffff -F success=1 -F sessionid="$SES"
# pid: of the paused workload, known before the rules are loaded (PID_P)
add 02 2 -a always,exit "${B64[@]}" -S getpid -F pid=PID_P -F a0="$(T 2)"
# ppid: this script
add 03 3 -a always,exit "${B64[@]}" -S getppid -F ppid=$$ -F a0="$(T 3)"
# uid ranges: >= <, and <= > on both sides of 1500
add 04 2 -a always,exit "${B64[@]}" -S getuid -F uid\>=1000 -F uid\<2000 -F a0="$(T 4)"
add 05 0 -a always,exit "${B64[@]}" -S geteuid -F uid\<=1499 -F uid\>0 -F a0="$(T 5)"
add 06 1 -a always,exit "${B64[@]}" -S geteuid -F uid\<=1500 -F uid\>1499 -F a0="$(T 5)"
# euid, suid; fsuid
add 07 1 -a always,exit "${B64[@]}" -S geteuid -F euid=1600 -F suid=1700 -F uid=0 -F a0="$(T 7)"
add 08 1 -a always,exit "${B64[@]}" -S getuid -F fsuid=1800 -F euid=0 -F a0="$(T 8)"
# gid egid sgid fsgid; fsgid alone
add 09 1 -a always,exit "${B64[@]}" -S getgid -F gid=2100 -F egid=2200 -F sgid=2300 -F fsgid=2200 -F a0="$(T 9)"
add 10 1 -a always,exit "${B64[@]}" -S getegid -F fsgid=2400 -F a0="$(T 10)"
# gid/egid through a supplementary group: = matches, != does not
add 11 1 -a always,exit "${B64[@]}" -S getgid -F gid=3200 -F a0="$(T 11)"
add 12 1 -a always,exit "${B64[@]}" -S getegid -F egid=3100 -F a0="$(T 12)"
add 13 0 -a always,exit "${B64[@]}" -S getgid -F gid!=3100 -F a0="$(T 13)"
add 14 1 -a always,exit "${B64[@]}" -S getegid -F egid!=3300 -F a0="$(T 14)"
add 15 1 -a always,exit "${B64[@]}" -S setgroups -F a0=2 -F euid=0 -F sessionid="$SES"
# auid; exit=-ESRCH
add 16 1 -a always,exit "${B64[@]}" -S getsid -F auid="$AUID" -F exit=-ESRCH -F a0="$(T 16)"
add 17 2 -a always,exit "${B64[@]}" -S getppid -F sessionid="$SES" -F auid!=unset -F a0="$(T 17)"
add 18 0 -a always,exit "${B64[@]}" -S sched_yield -F auid\>"$AUID" -F a0="$(T 18)"
add 19 1 -a always,exit "${B64[@]}" -S sched_yield -F auid\>="$AUID" -F sessionid\>=1 -F a0="$(T 18)"
# exit=-EPERM (as uid 1500) but not the EINVAL as root; success=0; a2
add 20 1 -a always,exit "${B64[@]}" -S sethostname -F exit=-EPERM -F a2="$(T 20)"
add 21 1 -a always,exit "${B64[@]}" -S sethostname -F success=0 -F a2="$(T 21)"
# a0 & ; a1 &= ; a3
add 22 2 -a always,exit "${B64[@]}" -S umask -F a0\&0x12 -F a1="$(T 22)"
add 23 1 -a always,exit "${B64[@]}" -S socket -F a0=2 -F a1\&=0x80001 -F a3="$(T 23)"
# b32: int $0x80 from a 64-bit program; the b64 getpid with the same tag not
add 24 2 -a always,exit -F arch=b32 -S getpid -F a0="$(T 24)"
# never before always: the never rule shadows a1=1; -A (added last) puts
# a1=2 ahead of both
add 25 0 -a never,exit "${B64[@]}" -S getppid -F a0="$(T 25)" -F a1=1
add 26 3 -a always,exit "${B64[@]}" -S getppid -F a0="$(T 25)"
add 27 1 -A always,exit "${B64[@]}" -S getppid -F a0="$(T 25)" -F a1=2
# two syscalls in one rule
add 28 2 -a always,exit "${B64[@]}" -S getuid -S getgid -F a0="$(T 28)" -F success=1
# personality query; close -EBADF; dup's exit range
add 29 1 -a always,exit "${B64[@]}" -S personality -F a0=0xffffffff -F a1="$(T 29)"
add 30 1 -a always,exit "${B64[@]}" -S close -F a0="$(T 30)" -F exit=-EBADF
add 31 1 -a always,exit "${B64[@]}" -S dup -F exit\>=3 -F exit\<=9 -F a1="$(T 31)"
# credentials as they are at exit: setuid(1900) shows uid=1900
add 32 1 -a always,exit "${B64[@]}" -S setuid -F a0=1900 -F uid=1900 -F a1="$(T 32)"
# != on pid and ppid, sgid <=; exit is the caller's tid (= pid)
add 33 1 -a always,exit "${B64[@]}" -S gettid -F ppid!=1 -F pid!=1 -F sgid\<=0 -F a0="$(T 33)"
# exe= is no engine field: this rule stays in the kernel, which keeps
# writing its events while the engine runs
add 34 2 -a always,exit "${B64[@]}" -S getpgrp -F exe="$WL" -F a0="$(T 34)"
KERNEL_ONLY=(34)
ORDER=(01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 28 29 30 31 32 33 34 27)

# The workloads, each one process started by this script (ppid $$); the
# same argv in both runs, so the same proctitle.
WORKS=(
  "resuid -1 -1 -1"
  "call getppid $(T 3) 3"
  "resuid 1500 1500 1500 call getuid $(T 4) 2 call geteuid $(T 5) 1"
  "resuid 0 1600 1700 call geteuid $(T 7) 1"
  "fsuid 1800 0 call getuid $(T 8) 1"
  "resgid 2100 2200 2300 call getgid $(T 9) 1"
  "fsgid 2400 0 call getegid $(T 10) 1"
  "groups 3100,3200 call getgid $(T 11) 1 call getegid $(T 12) 1 call getgid $(T 13) 1 call getegid $(T 14) 1"
  "getsid $(T 16) 0"
  "call getppid $(T 17) 2"
  "call sched_yield $(T 18) 1"
  "sethostname-fail $(T 20) resuid 1500 1500 1500 sethostname-fail $(T 20)"
  "sethostname-fail $(T 21)"
  "umask 022 $(T 22) umask 0 $(T 22) umask 077 $(T 22)"
  "socket 2 0x80001 0 $(T 23) socket 2 1 0 $(T 23) socket 2 0x80002 0 $(T 23)"
  "int80-getpid $(T 24) 2 call getpid $(T 24) 1"
  "call getppid $(T 25) 2 1 call getppid $(T 25) 3 0 call getppid $(T 25) 1 2"
  "call getuid $(T 28) 1 call getgid $(T 28) 1"
  "personality 0xffffffff $(T 29)"
  "close $(T 30) 0"
  "dup 2 $(T 31)"
  "setuid 1900 $(T 32)"
  "call gettid $(T 33) 1"
  "call getpgrp $(T 34) 2"
)
TOTAL=0
for n in "${ORDER[@]}"; do TOTAL=$((TOTAL + EXP[$n])); done

conf() {  # conf DIR LOG
  mkdir -p "$1"
  { echo "log_file = $2"
    echo "log_format = ENRICHED"
    echo "flush = data"
    echo "space_left = 2"
    echo "admin_space_left = 1"; } > "$1/auditd.conf"
  chmod 640 "$1/auditd.conf"
}

start_daemon() {  # start_daemon CONFDIR ERRFILE
  "$BIN" daemon -f -c "$1" --no-collector -s nochange 2>"$2" &
  DPID=$!
  for _ in $(seq 100); do
    grep -q "Init complete" "$2" && [ "$(status pid)" = "$DPID" ] && return 0
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "daemon did not start/register:"; cat "$2"; return 1
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID"; local rc=$?; DPID=; return $rc; }

ours() { grep -a "key=\"bpfaudit-pf-$$-" "$1" 2>/dev/null | grep -ac '^\(node=[^ ]* \)\?type=SYSCALL '; }

# run NAME on|off: load the rules, (prefilter), daemon, workloads, stop.
run() {
  local name=$1 pf=$2 n i rc
  conf "$W/$name.conf" "$W/$name.log"
  # The pid rule's workload first, paused until the rules are in place.
  # (one go file for both runs: it is in the proctitle)
  rm -f "$W/go"
  "$WL" wait "$W/go" call getpid "$(T 2)" 2 </dev/null >/dev/null 2>>"$W/wl.err" &
  PAUSED=$!
  for n in "${ORDER[@]}"; do
    local r=${RULES[$n]//PID_P/$PAUSED}
    # shellcheck disable=SC2086  # RULES[n] is a word list
    "$CTL" $r -F key="$(K "$n")" 2>"$W/add.err" >/dev/null ||
      { bad "$name: cannot add rule $n: $r: $(cat "$W/add.err")"; return 1; }
  done
  "$CTL" -l > "$W/$name.list-kernel"
  if [ "$pf" = on ]; then
    PF_CHANGED=yes
    "$CTL" --prefilter on > "$W/pf-on.out" 2>&1; rc=$?
    check "--prefilter on exits 0 (rc=$rc)" [ $rc = 0 ]
    [ $rc = 0 ] || { cat "$W/pf-on.out"; return 1; }
    check "$PIN exists after --prefilter on" [ -e "$PIN" ]
    "$CTL" -l > "$W/$name.list-pf"
    check "auditctl -l unchanged by --prefilter on" cmp -s "$W/$name.list-kernel" "$W/$name.list-pf"
    cmp -s "$W/$name.list-kernel" "$W/$name.list-pf" || diff "$W/$name.list-kernel" "$W/$name.list-pf" | head -20
    "$CTL" -s > "$W/$name.status"
    check "auditctl -s: prefilter on" grep -q '^prefilter on' "$W/$name.status"
    local nr; nr=$(awk '$1=="prefilter_rules"{print $2}' "$W/$name.status")
    local want=$((${#ORDER[@]} - ${#KERNEL_ONLY[@]}))
    check "auditctl -s: prefilter_rules ${nr:-missing} >= $want" [ "${nr:-0}" -ge "$want" ]
    "$BIN" engine list > "$W/engine.list" 2>&1
    local where
    for n in "${ORDER[@]}"; do
      where=engine
      [[ " ${KERNEL_ONLY[*]} " == *" $n "* ]] && where=kernel
      if ! grep -q "^$where	.*-F key=$(K "$n")\$" "$W/engine.list"; then
        bad "rule $n ($(K "$n")) is not in the $where: $(grep -- "key=$(K "$n")\$" "$W/engine.list")"
      fi
    done
    # the kernel itself holds only those (stock auditctl lists the kernel's)
    auditctl -l | grep -o -- "key=bpfaudit-pf-$$-[0-9]*" > "$W/in-kernel"
    check "the kernel holds only rule(s) ${KERNEL_ONLY[*]}: $(tr '\n' ' ' < "$W/in-kernel")" \
      [ "$(sed 's/.*-//' "$W/in-kernel" | tr '\n' ' ')" = "${KERNEL_ONLY[*]} " ]
  fi
  # -A put rule 27 first
  check "$name: -A rule listed first" \
    bash -c "grep -- 'key=bpfaudit-pf-$$-' '$W/$name.list-kernel' | head -1 | grep -q -- 'key=$(K 27)\$'"
  start_daemon "$W/$name.conf" "$W/$name.err" || return 1
  if [ "$pf" = on ]; then  # the daemon picks the engine's ring up by itself
    for _ in $(seq 50); do grep -q "Reading the prefilter engine" "$W/$name.err" && break; sleep 0.1; done
    check "daemon reads the engine" grep -q "Reading the prefilter engine" "$W/$name.err"
  fi
  local lost0; lost0=$(status lost)
  for i in "${!WORKS[@]}"; do
    # shellcheck disable=SC2086
    "$WL" ${WORKS[$i]} </dev/null >/dev/null 2>>"$W/wl.err"
  done
  touch "$W/go"; wait "$PAUSED"; PAUSED=
  # Every expected event in, then a little longer for any that should not be.
  for _ in $(seq 100); do [ "$(ours "$W/$name.log")" -ge "$TOTAL" ] && break; sleep 0.1; done
  sleep 1
  stop_daemon; rc=$?
  check "$name: daemon exits 0 (rc=$rc)" [ $rc = 0 ]
  check "$name: kernel lost nothing" [ "$(status lost)" = "$lost0" ]
  if [ "$pf" = on ]; then
    local pl; pl=$("$CTL" -s | awk '$1=="prefilter_lost"{print $2}')
    check "auditctl -s: prefilter_lost ${pl:-missing} = 0" [ "${pl:-x}" = 0 ]
    # Switching off adds the engine's rules back after the rules the kernel
    # kept (the kernel can only append or prepend, and re-adding a kept rule
    # would open a window in which nothing audits it). None of them shares a
    # syscall with a kept rule, so matching is unchanged; the listing shows
    # the kept rules in their order, then the returned ones in theirs.
    "$BIN" engine list > "$W/$name.placed"
    { grep '^kernel' "$W/$name.placed"; grep '^engine' "$W/$name.placed"; } | cut -f2- \
      > "$W/$name.list-expected-off"
    check "engine list before off: every rule listed once" \
      [ "$(wc -l < "$W/$name.placed")" = "$(wc -l < "$W/$name.list-kernel")" ]
    "$CTL" --prefilter off > "$W/pf-off.out" 2>&1; rc=$?
    check "--prefilter off exits 0 (rc=$rc)" [ $rc = 0 ]
    [ $rc = 0 ] || cat "$W/pf-off.out"
    "$CTL" -l > "$W/$name.list-off"
    check "auditctl -l after --prefilter off: kept rules, then the returned ones" \
      cmp -s "$W/$name.list-expected-off" "$W/$name.list-off"
    cmp -s "$W/$name.list-expected-off" "$W/$name.list-off" || diff "$W/$name.list-expected-off" "$W/$name.list-off" | head -20
    auditctl -l > "$W/$name.list-stock"
    check "stock auditctl -l lists every rule back in the kernel" cmp -s "$W/$name.list-off" "$W/$name.list-stock"
    cmp -s "$W/$name.list-off" "$W/$name.list-stock" || diff "$W/$name.list-off" "$W/$name.list-stock" | head -20
    [ "$PIN_BEFORE" = yes ] || check "$PIN removed by --prefilter off" [ ! -e "$PIN" ]
    check "auditctl -s: prefilter off" bash -c "'$CTL' -s | grep -qx 'prefilter off' || ! '$CTL' -s | grep -q '^prefilter '"
  fi
  for n in "${ORDER[@]}"; do "$CTL" -D -k "$(K "$n")" >/dev/null 2>&1; done
  check "$name: rules deleted by key" bash -c "! '$CTL' -l | grep -q -- 'key=bpfaudit-pf-$$-'"
}

# Events of one key, one line each: records in order, without EOE, time,
# serial, node, pid, ppid; exit=PID/PPID where it is the caller's pid/ppid.
normalize() {  # normalize LOG KEY raw|interpret
  local out rc
  out=$("$SEARCH" -if "$1" -k "$2" --format "$3" 2>"$W/search.err"); rc=$?
  # rc 1 and nothing written: no matches
  if [ $rc != 0 ] && { [ $rc != 1 ] || [ -n "$out" ]; }; then
    echo "SEARCH-ERROR rc=$rc $(cat "$W/search.err")"
  fi
  printf '%s\n' "$out" | awk '
    /^----/ { ev++; next }
    /^$/ { next }
    {
      line = $0
      node = ""
      if (match(line, /^node=[^ ]* /)) { node = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1) }
      id = ""
      if (match(line, /msg=audit\([^)]*\)/)) id = substr(line, RSTART, RLENGTH)
      if (line ~ /^type=EOE /) next
      sub(/msg=audit\([^)]*\)/, "msg=audit()", line)
      pid = ""; ppid = ""
      if (match(line, / pid=[0-9]+/)) pid = substr(line, RSTART + 5, RLENGTH - 5)
      if (match(line, / ppid=[0-9]+/)) ppid = substr(line, RSTART + 6, RLENGTH - 6)
      if (pid != "") sub(" exit=" pid " ", " exit=PID ", line)
      if (ppid != "") sub(" exit=" ppid " ", " exit=PPID ", line)
      gsub(/ pid=[0-9]+/, "", line)
      gsub(/ ppid=[0-9]+/, "", line)
      k = node id
      if (!(k in evs)) { order[++n] = k; evs[k] = line } else evs[k] = evs[k] " || " line
    }
    END { for (i = 1; i <= n; i++) print evs[order[i]] }' | sort
}

# Rules of others come first or last in the kernel's one list: one naming the
# same syscalls ahead of ours takes our events (first match decides).
foreign=$("$CTL" -l 2>/dev/null | grep -- '^-[aA] ' | grep -v -- "key=bpfaudit-pf-$$-")
[ -n "$foreign" ] && { echo "NOTE: other rules loaded (may shadow ours):"; echo "$foreign"; }

"$CTL" -e 1 >/dev/null || { echo "FAIL: cannot enable audit (locked?)"; exit 1; }
"$CTL" -b 8192 >/dev/null
if [ "$OLD_PF" = on ]; then
  PF_CHANGED=yes
  "$CTL" --prefilter off >/dev/null || { echo "FAIL: cannot turn the running prefilter off"; exit 1; }
fi

run kernel off || { echo "prefilter diff: $passes passed, $((fails + 1)) failed"; exit 1; }
run engine on || { echo "prefilter diff: $passes passed, $((fails + 1)) failed"; exit 1; }

check "kernel run wrote $TOTAL events ($(ours "$W/kernel.log"))" [ "$(ours "$W/kernel.log")" = "$TOTAL" ]
check "engine run wrote $TOTAL events ($(ours "$W/engine.log"))" [ "$(ours "$W/engine.log")" = "$TOTAL" ]
# Engine rules' events carry node=bpfaudit; kernel-only rules' events do not.
for n in "${ORDER[@]}"; do
  if [[ " ${KERNEL_ONLY[*]} " == *" $n "* ]]; then
    c=$(grep -a "key=\"$(K "$n")\"" "$W/engine.log" | grep -ac '^node=')
    check "rule $n (kernel): no node= on its events ($c with)" [ "$c" = 0 ]
  else
    c=$(grep -a "key=\"$(K "$n")\"" "$W/engine.log" | grep -avc '^node=bpfaudit ')
    [ "$c" = 0 ] || bad "rule $n (engine): $c record(s) without node=bpfaudit"
  fi
done
for n in "${ORDER[@]}"; do
  key=$(K "$n")
  for fmt in raw interpret; do
    normalize "$W/kernel.log" "$key" $fmt > "$W/k.$n.$fmt"
    normalize "$W/engine.log" "$key" $fmt > "$W/e.$n.$fmt"
  done
  ck=$(grep -c . "$W/k.$n.raw"); ce=$(grep -c . "$W/e.$n.raw")
  check "rule $n: kernel $ck events, expected ${EXP[$n]}" [ "$ck" = "${EXP[$n]}" ]
  check "rule $n: engine $ce events, expected ${EXP[$n]}" [ "$ce" = "${EXP[$n]}" ]
  for fmt in raw interpret; do
    if cmp -s "$W/k.$n.$fmt" "$W/e.$n.$fmt"; then
      ok "rule $n: same events ($fmt)"
    else
      bad "rule $n: events differ ($fmt): ${RULES[$n]}"
      diff "$W/k.$n.$fmt" "$W/e.$n.$fmt" | head -6 | cut -c1-600
    fi
  done
done
if [ -s "$W/wl.err" ]; then echo "workload stderr:"; head -5 "$W/wl.err"; fi

echo "prefilter diff: $passes passed, $fails failed"
[ $fails = 0 ]
