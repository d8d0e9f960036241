#!/bin/bash
# Checks the expected return codes in tests/data/search_items_cases.txt against
# stock ausearch 3.0.9: each case's records become a log, stock runs with
# `--debug` and the case's criteria, and the rc it reports ("Malformed event
# skipped, rc=N.", or none: 0) must be the one the file states.
# usage: search_items_cases.sh CASES_FILE
set -u
cases=$1
stock=/sbin/ausearch
[ -x "$stock" ] || { echo "stock ausearch not found at $stock"; exit 1; }
export TZ=UTC LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

total=0 bad=0 name="" crit="" want=""
while IFS= read -r line; do
  case "$line" in
    '#'*|'') continue ;;
    'case '*)
      IFS='|' read -r name crit want <<<"${line#case }"
      name=$(echo $name); want=$(echo $want)
      : >"$tmp/log" ;;
    end)
      # shellcheck disable=SC2086
      "$stock" --debug -if "$tmp/log" $crit >/dev/null 2>"$tmp/err"
      got=$(sed -n 's/^Malformed event skipped, rc=\([0-9]*\)\..*/\1/p' "$tmp/err" | head -1)
      got=${got:-0}
      total=$((total + 1))
      if [ "$got" != "$want" ]; then
        bad=$((bad + 1))
        echo "MISMATCH $name: stock rc=$got, file says $want"
      fi ;;
    *) printf '%s\n' "$line" >>"$tmp/log" ;;
  esac
done <"$cases"
echo "search_items_cases: $total cases, $bad mismatching stock"
[ "$bad" -eq 0 ]
