#!/usr/bin/env bash
# Generates a log from the live kernel (rules under a per-run key: file
# watches, failed opens, execs, renames, user messages) and runs the ausearch
# differential test on it.
set -u
bin=$1
compat=$2
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for audit rules"; exit 77; }
[ -e /proc/self/loginuid ] || { echo "SKIP: kernel without audit"; exit 77; }
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

mkdir -p "$tmp/watched"
auditctl -b 8192 >/dev/null
[ "$old_enabled" = 0 ] && auditctl -e 1 >/dev/null
"$bin/bpfaudit" capture -o "$tmp/live.log" --idle-ms 1500 2>"$tmp/cap.err" &
cap_pid=$!
until grep -q listening "$tmp/cap.err" 2>/dev/null; do sleep 0.05; done
add_rule always,exit -F arch=b64 -S openat,renameat2,rename,unlinkat -F dir="$tmp/watched" -k "$key-file"
add_rule always,exit -F arch=b64 -S openat -F exit=-ENOENT -F dir="$tmp" -k "$key-enoent"
add_rule always,exit -F arch=b64 -S execve -F dir="$tmp" -k "$key-exec"
# Work the rules: create, write, rename, unlink, fail to open, exec.
echo data >"$tmp/watched/a file"
mv "$tmp/watched/a file" "$tmp/watched/b"
cat "$tmp/nonexistent" 2>/dev/null
cp /bin/true "$tmp/true-copy" && "$tmp/true-copy"
rm -f "$tmp/watched/b"
auditctl -m "bpfaudit live test message $key" 2>/dev/null
wait "$cap_pid"
cap_pid=
lines=$(wc -l <"$tmp/live.log")
echo "live log: $lines records ($(tail -1 "$tmp/cap.err"))"
[ "$lines" -gt 10 ] || { echo "FAIL: the live kernel produced too few records"; cat "$tmp/live.log"; exit 1; }
# Third argument: the front end to compare (ausearch by default; aureport).
"$compat" "$bin/${3:-ausearch}" "$tmp/live.log"
