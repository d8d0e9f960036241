#!/usr/bin/env bash
# Kernel-refused requests, differential against stock auditctl 3.0.9 (issue 21):
# rules files and command lines whose rules pass auditctl's own checks but that the
# kernel refuses (dir= on a missing directory, a watch under a missing directory, a
# delete of a rule that is not there, a duplicate, a backlog wait time over the
# kernel's bound). For each case stock runs first, then ours, from the same files;
# stdout, stderr, exit code and the rules left in the kernel must be identical.
# Every rule carries this run's key and is deleted by that key after each run; the
# backlog settings are restored on exit. Nothing here locks audit (-e 2): that is
# until reboot.
# Usage: auditctl_refusals.sh OUR_AUDITCTL
set -uo pipefail
ours=$1
stock=/usr/sbin/auditctl
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$stock" ] || { echo "FAIL: stock auditctl missing"; exit 1; }
export LC_ALL=C TZ=UTC

key=bpfaudit-t21-$$
work=$(mktemp -d /tmp/bpfaudit-refuse.XXXXXX)
chmod 700 "$work"
missing=$work/no-such-dir   # never created: the kernel answers ENOENT for it
wait_before=$("$stock" -s | sed -n 's/^backlog_wait_time //p')

cleanup() {
  "$stock" -D -k "$key" >/dev/null 2>&1
  [ -n "$wait_before" ] && "$stock" --backlog_wait_time "$wait_before" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

fail=0 cases=0
fail() { echo "FAIL: $*"; fail=$((fail + 1)); }

# run_case NAME ARGS...: the files named in ARGS are written before the call.
run_case() {
  local name=$1; shift
  cases=$((cases + 1))
  local tool out err rc list
  declare -A got
  for tool in stock ours; do
    local bin=$stock; [ $tool = ours ] && bin=$ours
    out=$("$bin" "$@" 2>"$work/err"); rc=$?
    err=$(cat "$work/err")
    list=$("$stock" -l | grep -F -- "$key" || true)
    got[$tool]="rc=$rc
--- stdout
$out
--- stderr
$err
--- rules
$list"
    "$stock" -D -k "$key" >/dev/null 2>&1
  done
  if [ "${got[stock]}" != "${got[ours]}" ]; then
    fail "$name"
    diff <(echo "${got[stock]}") <(echo "${got[ours]}") | head -20
  else
    # A case only counts if stock really refused something: otherwise it tests nothing.
    case ${got[stock]} in
      *"--- stderr"$'\n'"--- rules"*) fail "$name: stock refused nothing, the case is wrong" ;;
      *) echo "ok: $name (${got[stock]%%$'\n'*})" ;;
    esac
  fi
}

rules_file() {  # rules_file NAME LINE...: a root-owned 0600 rules file
  local f=$work/$1; shift
  printf '%s\n' "$@" > "$f"
  chmod 600 "$f"
  echo "$f"
}

refused="-a always,exit -F arch=b64 -S openat -F dir=$missing -k $key"
refused2="-a always,exit -F arch=b64 -S unlinkat -F dir=$missing/sub -k $key"
ok1="-a always,exit -F arch=b64 -S fchmodat -F auid=4000001 -k $key"
ok2="-w /etc/hosts -p wa -k $key"
ok3="-a always,exit -F arch=b64 -S fchownat -F auid=4000002 -k $key"

f=$(rules_file plain.rules "$refused")
run_case "-R, one refused rule" -R "$f"

f=$(rules_file ignore.rules "-i" "$refused" "$ok1" "$refused2" "$ok2")
run_case "-R with -i inside, refused lines between accepted" -R "$f"

f=$(rules_file several.rules "-i" "$refused" "$refused2" "$refused")
run_case "-R with -i, several refused lines" -R "$f"

f=$(rules_file between.rules "$ok1" "$refused" "$ok2")
run_case "-R, refused line between accepted (stops there)" -R "$f"

f=$(rules_file cont.rules "-c" "$ok1" "$refused" "$ok2" "$refused2" "$ok3")
run_case "-R with -c inside, refused lines between accepted" -R "$f"
# Stock 3.0.9 loads nothing for -c before -R on the command line ("parameter passed
# without an option given", 255): the same refusal is expected, before any request.
run_case "-c -R on the command line" -c -R "$f"

f=$(rules_file syntax.rules "-i" "-a always,exit -F nosuchfield=1 -k $key" "$refused" \
  "-a always,exit -F alsonosuch=1 -k $key" "$ok1")
run_case "-R with -i: a syntax error before and after the first refusal" -R "$f"

f=$(rules_file dup.rules "-i" "$ok1" "$ok1" "$ok2" "$ok2")
run_case "-R with -i, duplicate rules and watches" -R "$f"

f=$(rules_file deletes.rules "-i" "$ok1" \
  "-d always,exit -F arch=b64 -S fchownat -F auid=4000009 -k $key" \
  "-W /etc/hosts -p wa -k $key" "-D -k $key-none" "$ok3")
run_case "-R with -i, deletes of rules that are not there" -R "$f"

f=$(rules_file watch.rules "-i" "-w $missing/file -p wa -k $key" "$ok2")
run_case "-R with -i, watch under a missing directory" -R "$f"

f=$(rules_file wait.rules "-i" "$ok1" "--backlog_wait_time 2000000" "$ok2")
run_case "-R with -i, backlog wait time over the kernel's bound" -R "$f"

run_case "command line: refused rule" $refused
run_case "command line: delete of a missing rule" -d always,exit -F arch=b64 -S fchownat \
  -F auid=4000009 -k "$key"
run_case "command line: backlog wait time over the bound" --backlog_wait_time 2000000

echo "auditctl refusals: $cases cases, $fail failures"
[ $fail = 0 ]
