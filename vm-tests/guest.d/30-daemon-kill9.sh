#!/bin/bash
# kill -9 of the registered `bpfaudit daemon` in the middle of a flood, and a
# restart (issue 18, chaos): in a guest booted with audit=1 the kernel keeps
# the records made while no daemon is registered on its hold queue (up to
# backlog_limit) and hands them to the next daemon, so the log must hold every
# flood event exactly once, with no kernel serial missing between the flood's
# first and last event, and no loss recorded (kernel `lost` unchanged, no
# DAEMON_ERR). Only in the vm_daemon_kill9 run (vm-tests/run --append audit=1);
# without audit=1 the kernel drops what no daemon takes, by design, and this
# skips (tests/kernel/daemon_test.sh covers restart there).
set -u
B=${BPFAUDIT_BIN_DIR:?}
grep -qw 'audit=1' /proc/cmdline || { echo "SKIP: kernel not booted with audit=1"; exit 77; }
[ "$(auditctl -s | awk '$1=="pid"{print $2}')" = 0 ] || { echo "SKIP: the audit pid is held"; exit 77; }
export TZ=UTC LC_ALL=C
W=$(mktemp -d /tmp/kill9.XXXXXX)
KEY=bpfaudit-kill9-$$
FLOOD=$(readlink -f "$B/syscall_flood")
RULE=(always,exit -F arch=b64 -S getppid -F exe=$FLOOD -F key=$KEY)
OLD_BACKLOG=$(auditctl -s | awk '$1=="backlog_limit"{print $2}')
OLD_ENABLED=$(auditctl -s | awk '$1=="enabled"{print $2}')
DPID=
fails=0
cleanup() {
  [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  auditctl -d "${RULE[@]}" >/dev/null 2>&1
  auditctl -b "$OLD_BACKLOG" >/dev/null 2>&1
  auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
  rm -rf "$W"
}
trap cleanup EXIT
check() { local what=$1; shift; if "$@"; then echo "PASS: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi; }
start_daemon() {  # start_daemon ERRFILE
  # Not holding the parts fifo's write end (fd 4): its reader must see EOF.
  "$B/bpfaudit" daemon -f -c "$W" --no-collector -s nochange 2>"$1" 4>&- &
  DPID=$!
  for _ in $(seq 300); do grep -q "Init complete" "$1" 2>/dev/null && return 0; kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
  echo "daemon did not start:"; cat "$1"; exit 1
}
flood_in_log() { grep -a "key=\"$KEY\"" "$W/audit.log" 2>/dev/null | grep -ac '^type=SYSCALL '; }

# SYSCALL, PROCTITLE and EOE per event: 3N records must fit the hold queue.
N=10000
t0=$(date +%s)
auditctl -b 65536 >/dev/null
auditctl -e 1 >/dev/null
printf 'log_file = %s\nlog_format = RAW\nflush = none\nspace_left = 2\nadmin_space_left = 1\n' \
  "$W/audit.log" > "$W/auditd.conf"
chmod 640 "$W/auditd.conf"
auditctl -a "${RULE[@]}" >/dev/null || { echo "FAIL: cannot add the rule"; exit 1; }
lost0=$(auditctl -s | awk '$1=="lost"{print $2}')
start_daemon "$W/d1.err"
# In 20 parts of N/20, each released by a line on a fifo, so that the flood
# goes on across the kill and the restart: parts 1-2 to the first daemon,
# which is killed once all of their events are in its log; parts 3-4 while
# no daemon is registered (the kernel holds them: audit=1); the rest to the
# second daemon. The kill lands when the first daemon has read everything
# sent to it: records still queued in a killed daemon's netlink socket are
# freed with it by the kernel, for stock auditd as for ours (README), and a
# CI run in which the kill fell while a whole part sat there lost those 500
# events without a trace.
mkfifo "$W/parts"
( exec 3<"$W/parts"; while read -r _ <&3; do "$FLOOD" $((N / 20)) > /dev/null; done ) &
FL=$!
exec 4>"$W/parts"
part() { echo >&4; }
part; part
for _ in $(seq 1200); do [ "$(flood_in_log)" -ge $((2 * N / 20)) ] && break; sleep 0.05; done
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
at_kill=$(flood_in_log)
part; part
sleep 1
start_daemon "$W/d2.err"
for _ in $(seq 16); do part; sleep 0.1; done
exec 4>&-
wait $FL
last=-1 still=0
for _ in $(seq 600); do
  now=$(flood_in_log)
  [ "$now" -ge $N ] && break
  [ "$now" = "$last" ] && [ "$still" -ge 50 ] && break
  [ "$now" = "$last" ] && still=$((still + 1)) || still=0
  last=$now
  sleep 0.1
done
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
lost1=$(auditctl -s | awk '$1=="lost"{print $2}')
log=$W/audit.log
check "second daemon exits 0 ($rc)" [ $rc = 0 ]
check "audit pid released" [ "$(auditctl -s | awk '$1=="pid"{print $2}')" = 0 ]
got=$(flood_in_log)
uniq=$(grep -a "key=\"$KEY\"" "$log" | grep -a '^type=SYSCALL ' | sed -n 's/^[^ ]* msg=audit([0-9.]*:\([0-9]*\)).*/\1/p' | sort -u | wc -l)
echo "flood $N events: $at_kill in the log when the daemon was killed, $got at the end ($uniq distinct serials)"
check "killed mid-flood" [ "$at_kill" -gt 0 -a "$at_kill" -lt $N ]
check "every flood event written once ($got, $uniq distinct, of $N)" [ "$got" = $N -a "$uniq" = $N ]
grep -a "key=\"$KEY\"" "$log" | sed -n 's/^type=SYSCALL msg=audit([0-9.]*:\([0-9]*\)).*/\1/p' | sort -n > "$W/fs"
first=$(head -1 "$W/fs"); lasts=$(tail -1 "$W/fs")
# Every kernel serial between the flood's first and last event (the kill and
# the restart's CONFIG_CHANGE fall in between); the daemons' own records
# have serials of their own.
grep -a '^type=' "$log" | grep -av '^type=DAEMON_' | sed -n 's/^[^ ]* msg=audit([0-9.]*:\([0-9]*\)).*/\1/p' |
  sort -nu | awk -v a="$first" -v b="$lasts" '$1 >= a && $1 <= b' > "$W/ks"
gap=$(( lasts - first + 1 - $(wc -l < "$W/ks") ))
check "zero kernel serial gap across kill -9 and restart (serials $first..$lasts, $gap missing)" [ "$gap" = 0 ]
check "no loss recorded (kernel lost $lost0 -> $lost1, DAEMON_ERR $(grep -ac '^type=DAEMON_ERR ' "$log"))" \
  [ "$lost0" = "$lost1" -a "$(grep -ac '^type=DAEMON_ERR ' "$log")" = 0 ]
check "both daemons wrote flood events" bash -c "awk '/^type=DAEMON_START/{d++} /key=\"$KEY\"/ && /^type=SYSCALL/{n[d]++} END{exit !(n[1] > 0 && n[2] > 0)}' '$log'"
ausearch -if "$log" --raw > /dev/null 2> "$W/as.err"
check "stock ausearch reads the log" [ ! -s "$W/as.err" ]
echo "took $(( $(date +%s) - t0 )) s"
[ $fails = 0 ]
