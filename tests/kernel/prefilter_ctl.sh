#!/bin/bash
# auditctl with the prefilter on answers as it does with the rules in the
# kernel alone: the same command sequence (adds with -a and -A, a duplicate,
# -l, -l -k, -d of a rule on the engine and of one in the kernel, a second
# -d, -D -k) runs twice, prefilter off then on, and every command's stdout,
# stderr and exit code must match between the runs. Also: stock auditctl -l
# shows only the kernel's share while ours shows all, and -e 2 is not used
# (it locks until reboot; vm-tests' 90-auditctl-lock.sh owns that).
# Deletes only its own rules (by key); restores enabled and the prefilter.
# usage: prefilter_ctl.sh BIN_DIR
set -u
BIN_DIR=$(cd "$1" && pwd) || exit 1
CTL=$BIN_DIR/auditctl
BIN=$BIN_DIR/bpfaudit
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "SKIP: no /sys/kernel/btf/vmlinux"; exit 77; }
command -v auditctl >/dev/null || { echo "SKIP: stock auditctl missing"; exit 77; }
if label=$(cat /proc/self/attr/current 2>/dev/null) && [ -n "$label" ]; then
  echo "SKIP: tasks carry an LSM label ($label): the engine keeps every rule in the kernel here"
  exit 77
fi
pid_now=$("$CTL" -s | awk '$1=="pid"{print $2}')
if [ "${pid_now:-0}" != 0 ] && [ "$(basename "$(readlink "/proc/$pid_now/exe" 2>/dev/null)")" != bpfaudit ]; then
  echo "SKIP: the audit pid is held by another daemon (--prefilter on refuses then)"
  exit 77
fi

W=$(mktemp -d /tmp/bpfaudit-pf-ctl.XXXXXX)
K=bpfaudit-pfctl-$$
OLD_ENABLED=$("$CTL" -s | awk '$1=="enabled"{print $2}')
OLD_PF=$("$CTL" -s | awk '$1=="prefilter"{print $2}')
fails=0
passes=0
cleanup() {
  for k in a b c d; do "$CTL" -D -k "$K-$k" >/dev/null 2>&1; done
  [ "${OLD_PF:-off}" = on ] || "$CTL" --prefilter off >/dev/null 2>&1
  "$CTL" -e "${OLD_ENABLED:-0}" >/dev/null 2>&1
  rm -rf "$W"
}
# A signal (the vm guest's per-test timeout sends TERM) ends the script:
# a handler that returned would let it go on without its directory.
trap cleanup EXIT
trap 'echo "$0: interrupted by a signal" >&2; exit 143' INT TERM
ok() { echo "PASS: $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# One command per line; "-" separates nothing, words as auditctl takes them.
cat > "$W/commands" <<EOF
-a always,exit -F arch=b64 -S setuid -F auid>=1000 -k $K-a
-a always,exit -F arch=b64 -S openat -F exit=-EACCES -k $K-b
-A always,exit -F arch=b64 -S setgid -k $K-c
-a always,exit -F arch=b64 -S setresuid -F a0=7 -k $K-d
-a always,exit -F arch=b64 -S setuid -F auid>=1000 -k $K-a
-l -k $K-a
-d always,exit -F arch=b64 -S setuid -F auid>=1000 -k $K-a
-d always,exit -F arch=b64 -S setuid -F auid>=1000 -k $K-a
-d always,exit -F arch=b64 -S openat -F exit=-EACCES -k $K-b
-D -k $K-c
-a always,exit -F arch=b64 -S setuid -F uid&7 -k $K-a
EOF

run_sequence() {  # run_sequence NAME: each command's rc, stdout, stderr, then our -l
  local name=$1 i=0 line
  : > "$W/$name.out"
  while IFS= read -r line; do
    i=$((i + 1))
    # shellcheck disable=SC2086  # a command line is a word list
    "$CTL" $line > "$W/o" 2> "$W/e"
    local rc=$?
    { echo "== $i: $line (rc=$rc)"; cat "$W/o"; echo "-- stderr"; cat "$W/e"; } >> "$W/$name.out"
    # the full listing after each step, filtered to our keys
    "$CTL" -l | grep -- "$K-" >> "$W/$name.out"
  done < "$W/commands"
  for k in a b c d; do "$CTL" -D -k "$K-$k" >/dev/null 2>&1; done
}

"$CTL" -e 1 >/dev/null
"$CTL" --prefilter off >/dev/null 2>&1
run_sequence kernel
"$CTL" --prefilter on > "$W/on.out" 2>&1 || { cat "$W/on.out"; bad "--prefilter on"; exit 1; }
run_sequence engine
if cmp -s "$W/kernel.out" "$W/engine.out"; then
  ok "every command answers the same with the prefilter on ($(grep -c '^==' "$W/kernel.out") commands)"
else
  bad "answers differ with the prefilter on:"
  diff "$W/kernel.out" "$W/engine.out" | head -30
fi
# The engine really held some: the setgid and setresuid rules (identity
# syscalls, engine fields); and stock's -l sees only the kernel's share.
"$CTL" -a always,exit -F arch=b64 -S setgid -k "$K-c" >/dev/null
"$CTL" -a always,exit -F arch=b64 -S openat -F exit=-EACCES -k "$K-b" >/dev/null
"$BIN" engine list > "$W/placed"
if grep -q "^engine	.*key=$K-c\$" "$W/placed" && grep -q "^kernel	.*key=$K-b\$" "$W/placed"; then
  ok "setgid rule on the engine, openat rule in the kernel"
else
  bad "placement: $(cat "$W/placed")"
fi
if auditctl -l | grep -q -- "key=$K-c" || ! auditctl -l | grep -q -- "key=$K-b"; then
  bad "stock auditctl -l should list only the kernel's rule: $(auditctl -l | grep -- "$K-")"
else
  ok "stock auditctl -l lists the kernel's share only"
fi
if [ "$("$CTL" -l | grep -c -- "$K-")" = 2 ]; then ok "our -l lists both"; else bad "our -l: $("$CTL" -l)"; fi
echo "prefilter ctl: $passes passed, $fails failed"
[ "$fails" = 0 ]
