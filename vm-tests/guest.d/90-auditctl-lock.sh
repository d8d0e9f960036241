#!/bin/sh
# auditctl cases that must never run on a shared host: -D (removes every rule),
# --loginuid-immutable and -e 2 (both lock until reboot). Named 90-* so it runs
# after every other guest test: nothing can change the audit configuration after
# it. Tests our auditctl ($BPFAUDIT_BIN_DIR/auditctl, or $AUDITCTL); the expected
# texts and exit codes are stock 3.0.9's.
fails=0
check() { [ "$1" = "$2" ] || { echo "FAIL: $3: got '$1' want '$2'"; fails=$((fails + 1)); }; }
A=${AUDITCTL:-${BPFAUDIT_BIN_DIR:?}/auditctl}
$A -a always,exit -F arch=b64 -S open -k vm >/dev/null 2>&1
check "$($A -D 2>&1)" "No rules" "-D lists what is left"
check "$($A -l 2>&1)" "No rules" "-l after -D"
$A --loginuid-immutable; check "$?" 0 "--loginuid-immutable"
check "$($A -s | tail -n 1)" "loginuid_immutable 1 locked" "-s after --loginuid-immutable"
$A -e 2 >/dev/null; check "$?" 0 "-e 2"
out=$($A -a always,exit -F arch=b64 -S open -k vm 2>&1); rc=$?
check "$out" "The audit system is in immutable mode, no rule changes allowed" "rule when locked"
check "$rc" 0 "exit code when locked (stock: 0)"
check "$($A -e 1 2>&1)" "Error sending enable request (Operation not permitted)" "-e 1 when locked"
# Locked, stock 3.0.9 and ours must answer alike (issue 21): rules files (is_ready
# refuses them, its message to syslog), -D, -b, -e and a delete.
S=/usr/sbin/auditctl
if [ -x "$S" ]; then
  rf=/tmp/locked.rules
  printf '%s\n' "-a always,exit -F arch=b64 -S open -k vm2" "-D" "-e 1" > "$rf"
  chmod 600 "$rf"
  for args in "-R $rf" "-D" "-b 100" "-e 0" "-d always,exit -F arch=b64 -S open -k vm" \
    "-W /etc/hosts" "-c -R $rf"; do
    # shellcheck disable=SC2086
    want=$($S $args 2>&1; echo "rc=$?")
    # shellcheck disable=SC2086
    got=$($A $args 2>&1; echo "rc=$?")
    check "$got" "$want" "locked: auditctl $args (stock's answer)"
  done
else
  echo "FAIL: no stock auditctl in the guest"; fails=$((fails + 1))
fi
echo "auditctl lock cases: $fails failures"
[ "$fails" -eq 0 ]
