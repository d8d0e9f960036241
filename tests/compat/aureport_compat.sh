#!/usr/bin/env bash
# Differential test: our aureport against stock aureport 3.0.9 on the same
# logs and options; stdout, stderr and exit codes must be identical.
# Usage: aureport_compat.sh [--index] OUR_AUREPORT LOG_OR_DIR...
#   --index: the -ts/-te cases only, on copies of every log with a history
#   index (`bpfaudit index --block-size 4096`) over the whole copy and over
#   its first half (the rest appended after indexing), against ours without
#   the index (BPFAUDIT_NO_INDEX=1), which the plain run compares with stock.
#   AUREPORT_COMPAT_FULL=N: run the full report x modifier matrix on logs up
#   to N bytes (default 200000); bigger logs get the benchmark reports only,
#   because stock needs seconds per run on them (CI budget).
# Stock runs once per case. Cases whose output holds "now"-relative times
# (-ts recent, ...) are re-run once on a difference: the two programs may
# compute "now" on either side of a second boundary.
set -u
index_mode=
if [ "${1:-}" = --index ]; then
  index_mode=1
  shift
fi
ours=$1
shift
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_setup aureport
if [ -n "$index_mode" ]; then
  printf '#!/bin/sh\nBPFAUDIT_NO_INDEX=1 exec %q "$@"\n' "$ours" >"$tmp/noindex"
  chmod +x "$tmp/noindex"
  stock=$tmp/noindex
  indexer="$(dirname "$ours")/bpfaudit index"
fi
stock_ausearch=/usr/sbin/ausearch
ours_ausearch=$(dirname "$ours")/ausearch
full_limit=${AUREPORT_COMPAT_FULL:-200000}

compared=0
failed=0
failures=()

# Differences that are intended, one per line: LABEL<TAB>REASON, LABEL as
# report_diff prints it. A listed case that differs is counted as known.
known=0
known_file=$(dirname "$0")/aureport_known_differences.tsv
report_diff() {  # label src orc
  if [ -f "$known_file" ] && grep -qF "$(printf '%s\t' "$1")" "$known_file"; then
    known=$((known + 1))
    return
  fi
  failed=$((failed + 1))
  failures+=("$1 (rc stock=$2 ours=$3)")
  echo "DIFF $1 (rc stock=$2 ours=$3)"
  if [ ${#failures[@]} -le 8 ]; then
    diff <(cat "$tmp/s.out" "$tmp/s.err") <(cat "$tmp/o.out" "$tmp/o.err") | head -10
  fi
}

run_cmd() {  # label, then a command line using $AUREPORT; run with stock, then ours
  local label=$1
  shift
  AUREPORT=$stock bash -c "$*" >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
  local src=$?
  AUREPORT=$ours bash -c "$*" >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
  local orc=$?
  compared=$((compared + 1))
  differs $src $orc && report_diff "$label" $src $orc
}

run_case() {  # log, then aureport arguments
  local log=$1
  shift
  run_both "$stock" "$ours" -if "$log" "$@"
  compared=$((compared + 1))
  differs && report_diff "$(basename "$log"): aureport $*" $src $orc
}

run_relative() {  # like run_case, re-run once on a difference (see top)
  local log=$1
  shift
  run_both "$stock" "$ours" -if "$log" "$@"
  differs && run_both "$stock" "$ours" -if "$log" "$@"
  compared=$((compared + 1))
  differs && report_diff "$(basename "$log"): aureport $*" $src $orc
}

reports=(-a -au --comm -c -cr -e -f -h -k -l -m -ma -n -p -r -s -t -tm --tty -u --virt -x --integrity)
modifiers=("" --summary --failed --success -i)

collect_logs "$@"

if [ -n "$index_mode" ]; then
  skipped=0
  for i in "${!logs[@]}"; do
    orig=${logs[$i]}
    secs=$(grep -aoE 'msg=audit\([0-9]+' "$orig" | sed 's/.*(//' | sort -n | sed -n '1p;$p')
    first=$(echo "$secs" | head -1)
    last=$(echo "$secs" | tail -1)
    [ -n "$first" ] || continue
    q1=$(((3 * first + last) / 4))
    mid=$(((first + last) / 2))
    for mode in fresh partial; do
      mkdir -p "$tmp/idx/$i/$mode"
      log=$tmp/idx/$i/$mode/$(basename "$orig")
      indexed_copy $mode "$orig" "$log" $indexer || exit 1
      for r in "" -x "-e --summary -i"; do
        run_case "$log" $r -ts "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)"
        run_case "$log" $r -te "$(date -d "@$q1" +%T)" "$(date -d "@$q1" +%x)"
        run_case "$log" $r -ts "$(date -d "@$q1" +%x)" "$(date -d "@$q1" +%T)" -te "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)"
      done
      n=$(BPFAUDIT_INDEX_STATS=1 "$ours" -if "$log" -ts "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)" 2>&1 >/dev/null |
          sed -n 's/.*skipped \([0-9]*\).*/\1/p')
      skipped=$((skipped + ${n:-0}))
    done
  done
  echo "aureport compat (index, against ours without index): compared $compared cases, $((compared - failed)) identical, $failed differ; -ts at mid-log skipped $skipped blocks"
  [ "$failed" -eq 0 ] && [ "$skipped" -gt 0 ] || exit 1
  exit 0
fi

# Logs that get the full report x modifier matrix; every other small log gets
# the summary and a rotating third of the reports with a rotating modifier,
# so that across logs each report meets each modifier.
is_full() {
  [ ${#logs[@]} -le 3 ] && return 0  # a few logs given (the live-kernel log): all of it
  case "$(basename "$1")" in
    *audit-rhel7*|*test4.log|*audit2allow_test*) return 0 ;;
  esac
  return 1
}
small=()
full=()
i=0
for log in "${logs[@]}"; do
  size=$(stat -c %s "$log")
  if [ "$size" -gt "$full_limit" ] && [ ${#logs[@]} -gt 3 ]; then
    # Large logs: the benchmark reports (stock needs seconds per run).
    run_case "$log"
    run_case "$log" -f -i --summary
    run_case "$log" -x --summary
    run_case "$log" -au
    run_case "$log" -a --summary -i
    continue
  fi
  small+=("$log")
  if is_full "$log"; then
    full+=("$log")
    for m in "${modifiers[@]}"; do run_case "$log" $m; done
    for r in "${reports[@]}"; do
      for m in "${modifiers[@]}"; do run_case "$log" "$r" $m; done
      run_case "$log" "$r" --summary -i
      run_case "$log" "$r" --summary --failed
    done
  else
    run_case "$log"
    for j in "${!reports[@]}"; do
      [ $(((i + j) % 3)) -eq 0 ] || continue
      run_case "$log" "${reports[$j]}" ${modifiers[$(((i + j / 3) % ${#modifiers[@]}))]}
    done
    i=$((i + 1))
  fi
done
[ ${#full[@]} -eq 0 ] && full=("${small[@]:0:3}")
[ ${#full[@]} -eq 0 ] && full=("${logs[@]:0:1}")

# Each further modifier with every report, on one of the full-matrix logs.
k=0
for mod in "-nc" "--escape raw -i" "--escape shell" "--escape shell_quote --summary" \
           "--eoe-timeout 1" "--debug" "--node NODE" "--node nosuchnode --node NODE --summary" \
           "--add --summary" "--delete"; do
  log=${full[$((k % ${#full[@]}))]}
  k=$((k + 1))
  node=$(grep -aoE '^node=[^ ]+' "$log" | head -1 | cut -d= -f2)
  args=${mod//NODE/${node:-nosuchnode}}
  for r in "" "${reports[@]}"; do run_case "$log" $r $args; done
done

# Time ranges from the logs' own stamps, in the locale's date form.
for log in "${full[@]}"; do
  secs=$(grep -aoE 'msg=audit\([0-9]+' "$log" | sed 's/.*(//' | sort -n | sed -n '1p;$p')
  first=$(echo "$secs" | head -1)
  last=$(echo "$secs" | tail -1)
  [ -n "$first" ] || continue
  mid=$(((first + last) / 2))
  for r in "" -x "-f --summary" "-e --summary -i" -t; do
    run_case "$log" $r -ts "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)"
    run_case "$log" $r -te "$(date -d "@$mid" +%T)" "$(date -d "@$mid" +%x)"
    run_case "$log" $r -ts "$(date -d "@$first" +%x)"
    run_case "$log" $r -te "$(date -d "@$last" +%x)"
    run_case "$log" $r -ts "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)" -te "$(date -d "@$last" +%x)" "$(date -d "@$last" +%T)"
  done
  run_case "$log" -ts checkpoint
done
log=${full[0]}
for kw in now recent boot today yesterday this-week week-ago this-month this-year; do
  run_relative "$log" -ts "$kw"
  run_relative "$log" -te "$kw"
  run_relative "$log" -x -ts "$kw"
  run_relative "$log" -ts "$kw" -te now
done

# Inputs: stdin pipes (also ausearch --raw output), --input-logs, -if DIR with
# rotations, missing files.
for log in "${full[@]}"; do
  b=$(basename "$log")
  run_cmd "$b: cat | aureport" "cat '$log' | \$AUREPORT"
  run_cmd "$b: cat | aureport -f -i" "cat '$log' | \$AUREPORT -f -i"
  run_cmd "$b: cat | aureport -t" "cat '$log' | \$AUREPORT -t"
  run_cmd "$b: stock ausearch --raw | aureport -f -i" "'$stock_ausearch' -if '$log' --raw | \$AUREPORT -f -i"
  run_cmd "$b: stock ausearch -m SYSCALL --raw | aureport -x --summary" "'$stock_ausearch' -if '$log' -m SYSCALL --raw | \$AUREPORT -x --summary"
  key=$(grep -aoE ' key="[^"]+"' "$log" | head -1 | cut -d'"' -f2)
  if [ -n "$key" ]; then
    run_cmd "$b: ausearch -k $key --raw | aureport -f -i" "'$stock_ausearch' -if '$log' -k '$key' --raw | \$AUREPORT -f -i"
    # Ours end to end against stock end to end.
    AUREPORT= bash -c "'$stock_ausearch' -if '$log' -k '$key' --raw | '$stock' -f -i" >"$tmp/s.out" 2>"$tmp/s.err"
    src=$?
    bash -c "'$ours_ausearch' -if '$log' -k '$key' --raw | '$ours' -f -i" >"$tmp/o.out" 2>"$tmp/o.err"
    orc=$?
    compared=$((compared + 1))
    differs $src $orc && report_diff "$b: our ausearch -k --raw | our aureport -f -i" $src $orc
  fi
  # -if DIR: audit.log and two rotations, read oldest first.
  d=$tmp/rot
  rm -rf "$d"
  mkdir "$d"
  n=$(wc -l <"$log")
  third=$(((n + 2) / 3))
  split -l "$third" -d -a 1 "$log" "$d/part"
  [ -f "$d/part0" ] && mv "$d/part0" "$d/audit.log.2"
  [ -f "$d/part1" ] && mv "$d/part1" "$d/audit.log.1"
  [ -f "$d/part2" ] && mv "$d/part2" "$d/audit.log"
  [ -f "$d/audit.log" ] || touch "$d/audit.log"
  for o in "" -t -x "-f --summary" "-e -i"; do run_cmd "$b: -if DIR $o" "\$AUREPORT -if '$d' $o"; done
  run_cmd "$b: --input-logs with -if" "cat '$log' | \$AUREPORT --input-logs -if '$log' -x"
done

# Command-line errors, help and version.
any=${small[0]:-${logs[0]}}
for args in "--help" "-v" "--version" "-x foo" "-f /etc/passwd" "-x -f" "-e --summary -c" "-if" \
            "--node" "--escape" "--escape bogus" "--eoe-timeout" "--eoe-timeout 0" "--eoe-timeout x1" \
            "-i yes" "-ts" "-te" "-ts 99/99/99" "-ts 25:00:00" "--bogus" "-t --summary" \
            "-t --summary --failed" "--tty --summary" "-if /nonexistent/file" "-if /nonexistent/dir/"; do
  run_cmd "aureport $args" "\$AUREPORT $args"
done
run_case "$any" -ts 01/01/2000

echo "aureport compat: compared $compared cases, $((compared - failed - known)) identical, $known known differences (listed with reasons in $(basename "$known_file")), $failed differ"
if [ "$failed" -ne 0 ]; then
  printf '  %s\n' "${failures[@]}" | head -50
  exit 1
fi
