#!/usr/bin/env bash
# What audit 3.1+ added to auditctl (issue 20), on the live kernel: each new
# rule form loads, lists as 4.x lists it, produces its records for a
# workload, and deletes.
#  - the io_uring filter list: io_uring openats (tests/kernel/uring_openat.c,
#    raw io_uring_setup/io_uring_enter) run inline and on an io-wq worker;
#    the URINGOP records are captured through the read-only multicast group
#    (no daemon pid taken) and read back with our ausearch (-k, -p, -sc, -i).
#  - an exclude rule on a field 3.0.9 refused (euid): loads and lists; the
#    kernel's exclude filter does not evaluate it (the user message it would
#    exclude is still recorded, while the same rule on uid excludes it),
#    which is what auditctl's warning says.
#  - syscalls named after libaudit 3.0.9 (fchmodat2, ...): load by name and
#    list as stock 3.0.9 lists the same kernel rule.
# Rules are added under a per-run key (exclude rules under a per-run pid) and
# exactly those are deleted; the enabled flag is restored, also on failure.
# Usage: uring_audit.sh BIN_DIR
set -u
bin=$1
ctl=$bin/auditctl
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for audit rules"; exit 77; }
[ -e /proc/self/loginuid ] || { echo "SKIP: kernel without audit"; exit 77; }
tmp=$(mktemp -d)
key=bpfaudit-uring-$$
old_enabled=$("$ctl" -s | awk '/^enabled/{print $2}')
cap_pid=
rules=()
rc=0
cleanup() {
  for r in "${rules[@]}"; do eval "\"$ctl\" -d $r" >/dev/null 2>&1; done
  [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
  [ "$old_enabled" != 2 ] && "$ctl" -e "$old_enabled" >/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  rc=1
}
add_rule() {  # -a arguments; remembers them for the cleanup, output in $added
  if added=$("$ctl" -a "$@" 2>&1); then
    rules+=("$(printf '%q ' "$@")")
    return 0
  fi
  return 1
}
delete_rule() {  # -d arguments (the cleanup's second try then fails quietly)
  "$ctl" -d "$@" || fail "auditctl -d $* failed"
}
expect_eq() {  # what got want
  [ "$2" = "$3" ] || { fail "$1: got [$2], want [$3]"; return 1; }
  echo "ok: $1"
}

[ "$old_enabled" = 0 ] && "$ctl" -e 1 >/dev/null

# The io_uring list exists from kernel 5.16; before, the kernel refuses the
# list (EINVAL) and 4.x's message is what auditctl prints: nothing loads.
if ! add_rule io_uring,always -S openat -k "$key-open"; then
  expect_eq "refusal on a kernel without the io_uring list" "$added" \
    "Error sending add rule data request (Invalid argument)"
  expect_eq "nothing loaded" "$("$ctl" -l | grep -c -- "$key")" "0"
  [ $rc = 0 ] && { echo "SKIP: kernel without the io_uring filter list (5.16+)"; exit 77; }
  exit 1
fi
add_rule always,io_uring -S connect,unlinkat -F uid=0 -k "$key-other" || fail "second io_uring rule"
expect_eq "io_uring rules listed as 4.x lists them" "$("$ctl" -l -k "$key")" \
  "-a always,io_uring -S openat -F key=$key-open
-a always,io_uring -S connect,unlinkat -F uid=0 -F key=$key-other"
expect_eq "unknown op refused as 4.x refuses it" \
  "$("$ctl" -a always,io_uring -S openat,nosuch -k "$key-bad" 2>&1; echo "rc=$?")" \
  "io_uring op unknown: openat,nosuch
rc=255"

# The capture ends after 5 s without a record: in a vm-tests guest (qemu TCG)
# starting a program can take longer than the 1.5 s other tests wait.
"$bin/bpfaudit" capture -o "$tmp/log" --idle-ms 5000 2>"$tmp/cap.err" &
cap_pid=$!
until grep -q listening "$tmp/cap.err" 2>/dev/null; do
  kill -0 "$cap_pid" 2>/dev/null || { echo "FAIL: capture did not start"; cat "$tmp/cap.err"; exit 1; }
  sleep 0.05
done

# Exclude on euid next to the same rule on uid, each for the pid of one
# `auditctl -m` (the exclude filter runs in the sender's context).
excl_out=
for f in uid euid; do
  (sleep 0.5; exec "$ctl" -m "$key-excl-$f") &
  p=$!
  eval "pid_$f=$p"
  add_rule never,exclude -F pid="$p" -F "$f"=0 || fail "exclude -F $f=0 refused: $added"
  excl_out+="$added"
  wait "$p"
done
expect_eq "warning for the field the kernel does not evaluate" "$excl_out" \
  "WARNING - the kernel's exclude filter does not evaluate euid: this rule never matches and ends the exclude list"
# shellcheck disable=SC2154  # pid_uid/pid_euid are set by eval above
expect_eq "exclude rules listed" "$("$ctl" -l | grep -E -- "-F pid=($pid_uid|$pid_euid) ")" \
  "-a never,exclude -F pid=$pid_uid -F uid=0
-a never,exclude -F pid=$pid_euid -F euid=0"

echo data >"$tmp/file"
if ! inline=$("$bin/uring_openat" "$tmp/file" inline); then
  st=$?
  [ $st = 77 ] && { echo "SKIP: io_uring unavailable here ($("$bin/uring_openat" "$tmp/file" 2>&1))"; exit 77; }
  fail "uring_openat inline: exit $st"
fi
async=$("$bin/uring_openat" "$tmp/file" async) || fail "uring_openat async failed"
"$bin/uring_openat" "$tmp/missing" async >/dev/null
inline_pid=${inline#pid=}
inline_pid=${inline_pid%% *}
async_pid=${async#pid=}
async_pid=${async_pid%% *}
"$ctl" -m "$key-end"
wait "$cap_pid"
cap_pid=
grep -q "$key-end" "$tmp/log" || fail "the capture ended before the workload did"
echo "captured: $(wc -l <"$tmp/log") records ($(tail -1 "$tmp/cap.err"))"

aus=$bin/ausearch
uring_records=$(grep -c "^type=URINGOP .* uring_op=18 .*key=\"$key-open\"" "$tmp/log")
[ "$uring_records" -ge 3 ] || fail "expected at least 3 URINGOP openat records under $key-open, got $uring_records"
grep -q "key=\"$key-other\"" "$tmp/log" && fail "the rule on other operations matched"
expect_eq "ausearch -k finds every URINGOP record" \
  "$("$aus" -if "$tmp/log" -k "$key-open" --raw | grep -c '^type=URINGOP')" "$uring_records"
# The inline op is recorded inside io_uring_enter's event, the worker's alone.
expect_eq "inline: URINGOP in io_uring_enter's event (-sc io_uring_enter)" \
  "$("$aus" -if "$tmp/log" -p "$inline_pid" -sc io_uring_enter --raw | grep -c '^type=URINGOP .* uring_op=18 ')" \
  "1"
expect_eq "worker: a URINGOP event of its own, found by -p and -sc (4.x)" \
  "$("$aus" -if "$tmp/log" -p "$async_pid" -sc 18 --raw | grep -vc '^type=EOE')" "1"
expect_eq "-i names the operation" \
  "$("$aus" -if "$tmp/log" -p "$async_pid" -i | grep -oE 'type=URINGOP .* uring_op=[^ ]+' | sed 's/.* uring_op=/uring_op=/')" \
  "uring_op=openat"
expect_eq "-i: the kernel's key" \
  "$("$aus" -if "$tmp/log" -p "$async_pid" -i | grep -c "key=$key-open")" "1"
grep -q "$key-excl-euid" "$tmp/log" ||
  fail "the euid exclude rule excluded the message: the kernel now evaluates euid, drop the warning"
grep -q "$key-excl-uid" "$tmp/log" && fail "the uid exclude rule did not exclude its message"

# Syscalls named after libaudit 3.0.9 (4.2's OSPP rules): ours loads them by
# name; stock 3.0.9 lists the kernel's rule exactly as ours does.
add_rule always,exit -F arch=b64 -S fchmodat2,setxattrat,removexattrat,file_setattr \
  -F exit=-EACCES -k "$key-later" || fail "later syscall names refused: $added"
want="-a always,exit -F arch=b64 -S 452,463,466,469 -F exit=-EACCES -F key=$key-later"
expect_eq "later syscall names listed as numbers, as 3.0.9 lists that rule" \
  "$("$ctl" -l -k "$key-later")" "$want"
for stock in /sbin/auditctl /usr/sbin/auditctl; do
  [ -x "$stock" ] || continue
  expect_eq "stock 3.0.9 lists it the same" "$("$stock" -l -k "$key-later")" "$want"
  break
done
delete_rule always,exit -F arch=b64 -S 452,463,466,469 -F exit=-EACCES -F key="$key-later"

delete_rule always,io_uring -S openat -F key="$key-open"
delete_rule io_uring,always -S unlinkat,connect -F uid=0 -k "$key-other"
delete_rule never,exclude -F pid="$pid_uid" -F uid=0
delete_rule never,exclude -F pid="$pid_euid" -F euid=0
expect_eq "deleted" "$("$ctl" -l | grep -cE -- "$key|-F pid=($pid_uid|$pid_euid) ")" "0"
exit $rc
