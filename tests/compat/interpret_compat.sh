#!/usr/bin/env bash
# Differential test of the interpretation layer: for every log, stock
# `ausearch -if LOG FORMAT` (no criteria: every event) against our
# interpret_driver. stdout, stderr and exit code must be identical.
# Usage: interpret_compat.sh INTERPRET_DRIVER LOG_OR_DIR...
#
# Stock drops events its search-item parser rejects even without criteria;
# the driver's --stock-drops applies that rule (AVCs without tclass=) and the
# dropped events are listed here with their reason.
set -u
driver=$1
shift
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_setup ausearch

compared=0
failed=0
known=0
events=0
formats=(
  "-i"
  "-i --escape raw"
  "-i --escape shell"
  "-i --escape shell_quote"
  "--format csv"
  "--format csv --extra-keys --extra-labels --extra-obj2 --extra-time"
  "--format text"
)

collect_logs "$@"

for log in "${logs[@]}"; do
  for fmt in "${formats[@]}"; do
    # shellcheck disable=SC2086
    "$stock" -if "$log" $fmt >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
    src=$?
    # shellcheck disable=SC2086
    "$driver" --stock-drops $fmt "$log" >"$tmp/o.out" 2>"$tmp/o.all" </dev/null
    orc=$?
    dropped=$(sed -n 's/^stock-drops: //p' "$tmp/o.all")
    grep -v '^stock-drops: ' "$tmp/o.all" >"$tmp/o.err"
    compared=$((compared + 1))
    if [ "$fmt" = "-i" ]; then
      events=$((events + $(grep -c '^----$' "$tmp/s.out")))
      [ "${dropped:-0}" != 0 ] &&
        echo "note: $(basename "$log"): $dropped event(s) dropped by stock (AVC without tclass=, parse_avc fails)"
    fi
    if [ $src -ne $orc ] || ! cmp -s "$tmp/s.out" "$tmp/o.out" || ! cmp -s "$tmp/s.err" "$tmp/o.err"; then
      # Intended differences: SCRIPT<TAB>LOG<TAB>FORMAT<TAB>REASON.
      if grep -qF "$(printf 'interpret\t%s\t%s\t' "$(basename "$log")" "$fmt")" \
        "$(dirname "$0")/known_log_differences.tsv" 2>/dev/null; then
        known=$((known + 1))
        continue
      fi
      failed=$((failed + 1))
      echo "--- DIFF $(basename "$log") $fmt (rc stock=$src ours=$orc)"
      diff <(cat "$tmp/s.out" "$tmp/s.err") <(cat "$tmp/o.out" "$tmp/o.err") | head -10
    fi
  done
done
echo "interpret compat: ${#logs[@]} logs, $compared runs ($events events in -i), $known known differences (known_log_differences.tsv), $failed differing"
[ $failed -eq 0 ]
