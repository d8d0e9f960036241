#!/usr/bin/env bash
# Records a log from the live kernel and runs differential tests on it.
# The workload works rules added under a per-run key (watched files created,
# chmod/chown, renamed and unlinked; failed opens; execs with awkward args;
# UDP and TCP connects with a SOCKADDR; a user message), captured through the
# read-only multicast group, so no daemon pid is taken.
# Usage: live_log.sh BIN_DIR COMPAT_SCRIPT TOOL [COMPAT_SCRIPT TOOL]...
# Each COMPAT_SCRIPT is run as `COMPAT_SCRIPT TOOL LOG`; any failure fails the test.
set -u
bin=$1
shift
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for audit rules"; exit 77; }
[ -e /proc/self/loginuid ] || { echo "SKIP: kernel without audit"; exit 77; }
[ $(($# % 2)) = 0 ] && [ $# -gt 0 ] || { echo "usage: live_log.sh BIN_DIR (COMPAT_SCRIPT TOOL)..."; exit 2; }
tmp=$(mktemp -d)
key=bpfaudit-live-$$
status=$(auditctl -s)
old_enabled=$(awk '/^enabled/{print $2}' <<<"$status")
old_backlog=$(awk '/^backlog_limit/{print $2}' <<<"$status")
cap_pid=
rules=()
cleanup() {
  for r in "${rules[@]}"; do eval "auditctl -d $r" >/dev/null 2>&1; done
  [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
  auditctl -b "$old_backlog" >/dev/null
  [ "$old_enabled" != 2 ] && auditctl -e "$old_enabled" >/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
add_rule() { auditctl -a "$@" >/dev/null && rules+=("$(printf '%q ' "$@")"); }

mkdir -p "$tmp/w"
auditctl -b 8192 >/dev/null
[ "$old_enabled" = 0 ] && auditctl -e 1 >/dev/null
"$bin/bpfaudit" capture -o "$tmp/live.log" --idle-ms 1500 2>"$tmp/cap.err" &
cap_pid=$!
until grep -q listening "$tmp/cap.err" 2>/dev/null; do
  kill -0 "$cap_pid" 2>/dev/null || { echo "FAIL: capture did not start"; cat "$tmp/cap.err"; exit 1; }
  sleep 0.05
done
# The kernel keys an event by the first rule that matches: specific first.
add_rule always,exit -F arch=b64 -S openat -F exit=-ENOENT -F dir="$tmp" -k "$key-enoent"
add_rule always,exit -F arch=b64 -S openat,open,creat,truncate,renameat2,rename,unlinkat,fchmodat,chmod,fchownat -F dir="$tmp" -k "$key-file"
add_rule always,exit -F arch=b64 -S execve -F dir="$tmp" -k "$key-exec"
add_rule always,exit -F arch=b64 -S connect,bind,socket -F pid=$$ -k "$key-net"
add_rule always,exit -F arch=b64 -S connect -F exe=/usr/bin/bash -F success=0 -k "$key-net2"
echo data >"$tmp/w/a file"
chmod 4750 "$tmp/w/a file"
chown 65534:65534 "$tmp/w/a file"
mv "$tmp/w/a file" "$tmp/w/$(printf 'b\tc')"
cat "$tmp/nonexistent" 2>/dev/null
cp /bin/true "$tmp/true copy" && "$tmp/true copy" --arg "with space" $'ctl\001x'
exec 7<>/dev/udp/127.0.0.1/9 && exec 7>&-
(exec 8<>/dev/tcp/127.0.0.1/1) 2>/dev/null
rm -f "$tmp/w/"*
auditctl -m "bpfaudit live test message $key" 2>/dev/null
wait "$cap_pid"
cap_pid=
lines=$(wc -l <"$tmp/live.log")
echo "live log: $lines records ($(tail -1 "$tmp/cap.err"))"
[ "$lines" -gt 10 ] || { echo "FAIL: the live kernel produced too few records"; cat "$tmp/live.log"; exit 1; }
for k in "$key-file" "$key-enoent" "$key-exec" "$key-net"; do
  grep -q "key=\"$k\"" "$tmp/live.log" || { echo "FAIL: no record for rule $k"; exit 1; }
done

rc=0
while [ $# -gt 0 ]; do
  echo "== $(basename "$1") $(basename "$2") on the live log"
  "$1" "$2" "$tmp/live.log" || rc=1
  shift 2
done
exit $rc
