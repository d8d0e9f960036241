#!/usr/bin/env bash
# Kernel round trip of every shared rules file through our auditctl and stock's:
#   A: stock loads each rule line; our -l and stock -l must print the same lines, then
#      our -d/-W removes them.
#   B: ours loads each line: same exit code and stderr as stock had for it; stock -l
#      must print what it printed in A; stock -d/-W removes them. A line stock refuses
#      for a syscall name its tables lack (4.2's rules use fchmodat2 ...) must load
#      silently with ours, as a later release takes it (issue 20), and ours deletes it.
#   C: ours loads all accepted lines with -R; stock -l prints the same again.
# Each rule is tagged so that only our rules are listed and removed: a unique key
# (-k) where the rule takes one, and "-F pid=<unused pid>" on task/user/exclude/exit
# rules, which also keeps "never" rules from hiding other processes' events.
# Lines that are not rules (-D -b -f -e -i -c ...) are never run: they change global
# state (-D only runs in vm-tests). Lines stock rejects are skipped with its message.
# Usage: auditctl_roundtrip.sh OUR_AUDITCTL RULES_DIR...
set -uo pipefail
ours=$1; shift
stock=/usr/sbin/auditctl
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$stock" ] || { echo "FAIL: stock auditctl missing"; exit 1; }
export LC_ALL=C TZ=UTC

tag=bpfaudit-test-$$-$RANDOM
pidtag=$((2000000000 + $$))   # above any pid_max: matches no process
work=$(mktemp -d /tmp/bpfaudit-rt.XXXXXX)
chmod 700 "$work"
loaded=()   # tagged lines currently in the kernel, for cleanup on any exit

split_words() {  # stock's rules-file tokenizer: spaces split, "\ " and "\\" escape
  local l=${1//\\\\/$'\x04'}
  l=${l//\\ /$'\x07'}
  local IFS=' '
  read -ra words <<< "$l"
  local i
  for i in "${!words[@]}"; do
    words[$i]=${words[$i]//$'\x07'/ }
    words[$i]=${words[$i]//$'\x04'/\\}
  done
}

remove_args() {  # the delete form of a tagged rule line
  split_words "$1"
  case ${words[0]} in
    -a|-A) words[0]=-d ;;
    -w) words[0]=-W ;;
  esac
}

cleanup() {
  local l
  for l in "${loaded[@]}"; do
    remove_args "$l"
    "$stock" "${words[@]}" >/dev/null 2>&1
  done
  loaded=()
  rm -rf "$work"
}
trap cleanup EXIT

listing() {  # our rules only, as printed by $1
  "$1" -l | grep -F -e "$tag" -e "pid=$pidtag" || true
}

tag_line() {  # prints the tagged rule, or nothing when the line is not a rule
  local line=$1 list
  split_words "$line"
  [ ${#words[@]} -gt 0 ] || return 0
  case ${words[0]} in
    -w) echo "$line -k $tag" ;;
    -a|-A)
      list=${words[1]}
      case $list in
        *filesystem*) echo "$line -k $tag" ;;
        *exit*) echo "$line -F pid=$pidtag -k $tag" ;;
        *) echo "$line -F pid=$pidtag" ;;
      esac ;;
  esac
}

fail=0 files=0 rules=0 skipped=0 newer=0
fail() { echo "FAIL: $*"; fail=$((fail + 1)); }

# What stock refuses and ours takes the way a later release does (issue 20):
# syscall names after libaudit 3.0.9's tables, which 4.2's rules files use.
later_syscalls=" cachestat fchmodat2 map_shadow_stack futex_wake futex_wait futex_requeue
  statmount listmount lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal setxattrat
  getxattrat listxattrat removexattrat open_tree_attr file_getattr file_setattr listns
  rseq_slice_yield "
later_release_refusal() {  # stock's message
  case $1 in
    "Syscall name unknown: "*) [[ $later_syscalls == *[[:space:]]"${1#Syscall name unknown: }"[[:space:]]* ]] ;;
    *) return 1 ;;
  esac
}

for dir in "$@"; do
  for file in $(find "$dir" -name '*.rules' | LC_ALL=C sort); do
    files=$((files + 1))
    name=${file#"$dir"/}
    mapfile -t lines < "$file"
    tagged=() ; stock_rc=() ; stock_err=()
    lineno=0
    # A: stock loads.
    for line in "${lines[@]}"; do
      lineno=$((lineno + 1))
      t=$(tag_line "$line")
      [ -n "$t" ] || continue
      split_words "$t"
      err=$("$stock" "${words[@]}" 2>&1 >/dev/null); rc=$?
      tagged+=("$t"); stock_rc+=("$rc"); stock_err+=("$err")
      if [ $rc = 0 ]; then
        loaded+=("$t")
      else
        skipped=$((skipped + 1))
        echo "SKIP $name:$lineno: stock: ${err//$'\n'/ / }"
      fi
    done
    rules=$((rules + ${#tagged[@]}))
    a_stock=$(listing "$stock"); a_ours=$(listing "$ours")
    [ "$a_stock" = "$a_ours" ] || fail "$name: -l after stock load differs" \
      "$(diff <(echo "$a_stock") <(echo "$a_ours") | head -5)"
    for l in "${loaded[@]}"; do
      remove_args "$l"
      "$ours" "${words[@]}" >/dev/null 2>&1 || fail "$name: ours could not delete: $l"
    done
    loaded=()
    [ -z "$(listing "$stock")" ] || fail "$name: rules left after our deletes"

    # B: ours loads line by line; exit code and messages as stock's.
    accepted=()
    for i in "${!tagged[@]}"; do
      t=${tagged[$i]}
      split_words "$t"
      err=$("$ours" "${words[@]}" 2>&1 >/dev/null); rc=$?
      if [ "${stock_rc[$i]}" != 0 ] && later_release_refusal "${stock_err[$i]}"; then
        # Ours must take it silently; it is deleted by ours at once (stock
        # cannot parse the line) and stays out of the stock comparisons.
        newer=$((newer + 1))
        [ $rc = 0 ] && [ -z "$err" ] || fail "$name: '$t': later release's form refused: rc=$rc '$err'"
        if [ $rc = 0 ]; then
          remove_args "$t"
          "$ours" "${words[@]}" >/dev/null 2>&1 || fail "$name: ours could not delete: $t"
        fi
        continue
      fi
      [ $rc = 0 ] && loaded+=("$t")
      [ "${stock_rc[$i]}" = 0 ] && accepted+=("$t")
      if [ "$rc" != "${stock_rc[$i]}" ] || [ "$err" != "${stock_err[$i]}" ]; then
        fail "$name: '$t': ours rc=$rc '$err', stock rc=${stock_rc[$i]} '${stock_err[$i]}'"
      fi
    done
    b_stock=$(listing "$stock")
    [ "$b_stock" = "$a_stock" ] || fail "$name: stock -l after our load differs" \
      "$(diff <(echo "$a_stock") <(echo "$b_stock") | head -5)"
    for l in "${loaded[@]}"; do
      remove_args "$l"
      "$stock" "${words[@]}" >/dev/null 2>&1 || fail "$name: stock could not delete: $l"
    done
    loaded=()
    [ -z "$(listing "$stock")" ] || fail "$name: rules left after stock deletes"

    # C: ours loads the accepted lines as one rules file.
    printf '%s\n' "${accepted[@]}" > "$work/r.rules"
    chmod 600 "$work/r.rules"
    loaded=("${accepted[@]}")
    "$ours" -R "$work/r.rules" > /dev/null || fail "$name: our -R failed"
    c_stock=$(listing "$stock")
    [ "$c_stock" = "$a_stock" ] || fail "$name: stock -l after our -R differs"
    cleanup_list=("${loaded[@]}")
    for l in "${cleanup_list[@]}"; do
      remove_args "$l"
      "$ours" "${words[@]}" >/dev/null 2>&1
    done
    loaded=()
    [ -z "$(listing "$stock")" ] || fail "$name: rules left after -R round"
  done
done
echo "auditctl round trip: $files files, $rules rule lines, $skipped rejected by stock ($newer of them taken by ours as a later release takes them), $fail failures"
[ $fail = 0 ]
