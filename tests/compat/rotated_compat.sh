#!/usr/bin/env bash
# Differential test of the parallel scan (issue 19): directories of rotated
# logs, read by our ausearch with its workers (BPFAUDIT_SCAN_THREADS 2 and 3)
# against stock ausearch 3.0.9 and against our sequential read
# (BPFAUDIT_SCAN_THREADS=1): stdout, stderr and exit code identical; our
# aureport with 1, 2 and 4 workers, every report, against stock on the same
# directories and through --input-logs.
# Usage: rotated_compat.sh OUR_AUSEARCH OUR_AUREPORT SHARED_LOGS_DIR GEN_HISTORY
set -u
ours=$1
ours_report=$2
shared=$3
gen_history=$4
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_setup ausearch
stock_report=/usr/sbin/aureport

compared=0
failed=0
failures=()
fail() {
  failed=$((failed + 1))
  failures+=("$1")
  if [ ${#failures[@]} -le 5 ]; then
    echo "--- DIFF $1"
    diff <(cat "$tmp/s.out" "$tmp/s.err") <(cat "$tmp/o.out" "$tmp/o.err") | head -10
  fi
}

# rotate SRC DIR AWK-CONDITION: cuts SRC into DIR/audit.log.N .. audit.log
# (oldest first), starting a new file at each line where the condition holds.
rotate() {
  local src=$1 dir=$2 cond=$3
  mkdir -p "$dir"
  awk -v dir="$dir" "
    { id = \$0; sub(/^.*msg=audit\\(/, \"\", id); sub(/\\).*/, \"\", id) }
    NR == 1 || ($cond) { n++; f = sprintf(\"%s/part.%06d\", dir, n); lines = 0 }
    { print > f; lines++; prev = id }" "$src"
  local count k=0 p
  count=$(find "$dir" -name 'part.*' | wc -l)
  k=$((count - 1))
  for p in $(find "$dir" -name 'part.*' | sort); do
    if [ $k = 0 ]; then mv "$p" "$dir/audit.log"; else mv "$p" "$dir/audit.log.$k"; fi
    k=$((k - 1))
  done
}

# Every shared log in one stream: times go back and forth, nodes and odd
# records mixed, so workers rarely agree and the main thread reads most.
find "$shared" -type f | sort | xargs cat >"$tmp/all.log"
big=$(ls -S "$shared"/* | head -n 1)
rotate "$tmp/all.log" "$tmp/mixed_lines" "lines >= 997"
rotate "$tmp/all.log" "$tmp/mixed_events" "lines >= 500 && id != prev"
rotate "$big" "$tmp/tiny" "lines >= 23"  # hundreds of small files
# A history a rotating auditd would leave: workers' runs are taken.
"$gen_history" "$tmp/history" 6144 384 >"$tmp/history.range"
read -r hstart hlast <"$tmp/history.range"
# The same with records of another node that reuse the time and serial of
# events still open when a file starts: stock's slot order decides there,
# and the parallel scan has to start again sequentially.
cp -r "$tmp/history" "$tmp/ties"
for k in 3 7 11; do
  last_line=$(tail -n 1 "$tmp/ties/audit.log.$((k + 1))")
  { echo "node=other $last_line"; cat "$tmp/ties/audit.log.$k"; } >"$tmp/ties/x" &&
    mv "$tmp/ties/x" "$tmp/ties/audit.log.$k"
done

mid=$((hstart + (hlast - hstart) / 2))
ts_date=$(date -u -d "@$mid" +%x)
ts_time=$(date -u -d "@$mid" +%H:%M:%S)
te_time=$(date -u -d "@$((mid + 60))" +%H:%M:%S)

check() {  # dir, then ausearch arguments
  local dir=$1
  shift
  local threads
  for threads in 2 3; do
    BPFAUDIT_SCAN_THREADS=$threads run_both "$stock" "$ours" -if "$dir" "$@"
    compared=$((compared + 1))
    differs && fail "$(basename "$dir") threads=$threads: ausearch $* (rc stock=$src ours=$orc)"
  done
  # Ours parallel against ours sequential (also for --format json, ours only).
  BPFAUDIT_SCAN_THREADS=1 run_both "$ours" "$ours" -if "$dir" "$@"
  cp "$tmp/s.out" "$tmp/q.out"
  cp "$tmp/s.err" "$tmp/q.err"
  BPFAUDIT_SCAN_THREADS=2 "$ours" -if "$dir" "$@" >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
  orc=$?
  compared=$((compared + 1))
  if ! cmp -s "$tmp/q.out" "$tmp/o.out" || ! cmp -s "$tmp/q.err" "$tmp/o.err" || [ "$src" -ne "$orc" ]; then
    cp "$tmp/q.out" "$tmp/s.out"
    cp "$tmp/q.err" "$tmp/s.err"
    fail "$(basename "$dir") parallel vs sequential: ausearch $*"
  fi
}

for dir in "$tmp/mixed_lines" "$tmp/mixed_events" "$tmp/tiny" "$tmp/history" "$tmp/ties"; do
  check "$dir" --raw
  check "$dir"
  check "$dir" -i -m USER_LOGIN,EXECVE
  check "$dir" --format csv
  check "$dir" --format text -k files
  check "$dir" -m SYSCALL,PATH
  check "$dir" -m USER_LOGIN -sv no
  check "$dir" -k rarekey
  check "$dir" -k nomatch
  check "$dir" -p 4242
  check "$dir" --just-one -m PATH
  check "$dir" -sc execve -i
  check "$dir" -ts "$ts_date" "$ts_time" -te "$ts_date" "$te_time"
  check "$dir" -ts "$ts_date" "$ts_time" -te "$ts_date" "$te_time" -k files -i
  for fmt in --raw "--format json"; do
    # shellcheck disable=SC2086
    BPFAUDIT_SCAN_THREADS=1 "$ours" -if "$dir" $fmt -m ALL >"$tmp/q.out" 2>"$tmp/q.err"
    # shellcheck disable=SC2086
    BPFAUDIT_SCAN_THREADS=2 "$ours" -if "$dir" $fmt -m ALL >"$tmp/o.out" 2>"$tmp/o.err"
    compared=$((compared + 1))
    cmp -s "$tmp/q.out" "$tmp/o.out" && cmp -s "$tmp/q.err" "$tmp/o.err" ||
      fail "$(basename "$dir") parallel vs sequential: ausearch $fmt -m ALL"
  done
done

# aureport's parallel scan: every report, detailed and --summary, and its
# modifiers, with 1, 2 and 4 workers. Against stock on the generated
# history (workers' runs taken), the tie set (a restart) and the small
# files (no threads start); on the mixed streams against ours sequential:
# there stock's summary counts one event fewer than ours (the plain
# concatenated file too: not the rotation).
reports="-a -au --comm -c -cr -e -f -h -k -l -m -ma -n -p -r -s -t -tm --tty -u --virt -x --integrity"
wrap=()  # what the tools run under (the --input-logs runs' namespace)
report_check() {  # reference (stock|seq), then aureport arguments
  local ref=$1 threads
  shift
  if [ "$ref" = stock ]; then
    "${wrap[@]}" "$stock_report" "$@" >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
  else
    BPFAUDIT_SCAN_THREADS=1 "${wrap[@]}" "$ours_report" "$@" >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
  fi
  src=$?
  for threads in 1 2 4; do
    [ "$ref" = seq ] && [ $threads = 1 ] && continue
    BPFAUDIT_SCAN_THREADS=$threads "${wrap[@]}" "$ours_report" "$@" >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
    orc=$?
    compared=$((compared + 1))
    differs && fail "aureport threads=$threads vs $ref: $* (rc $ref=$src ours=$orc)"
  done
}
window=(-ts "$ts_date" "$ts_time" -te "$ts_date" "$te_time")
for dir in "$tmp/history" "$tmp/mixed_lines" "$tmp/mixed_events" "$tmp/tiny" "$tmp/ties"; do
  ref=stock
  case $dir in */mixed_*) ref=seq ;; esac
  full=$reports
  # The tie and small-file sets are about the restart and the sequential
  # path: a share of the reports.
  case $dir in */tiny | */ties) full="-au -f -x -e -t" ;; esac
  report_check $ref -if "$dir"
  for r in $full; do
    report_check $ref -if "$dir" $r
    report_check $ref -if "$dir" $r --summary
  done
  for r in "" -au -f -x -e -t; do
    for mod in -i --failed --success "--summary -i"; do
      # shellcheck disable=SC2086
      report_check $ref -if "$dir" $r $mod
    done
    # shellcheck disable=SC2086
    report_check $ref -if "$dir" $r "${window[@]}"
  done
  report_check $ref -if "$dir" --summary -te "$ts_date" "$ts_time"
done
# --input-logs: the configured log and its rotations, auditd.conf naming the
# generated history (bind-mounted in a mount namespace of the test's own).
if command -v unshare >/dev/null && [ "$(id -u)" = 0 ]; then
  # As auditd leaves them (stock warns about other modes; ours does not yet).
  chmod 0600 "$tmp"/history/audit.log*
  sed "s|^log_file *=.*|log_file = $tmp/history/audit.log|" /etc/audit/auditd.conf >"$tmp/auditd.conf"
  cat >"$tmp/input_logs.sh" <<EOS
#!/bin/sh
mount --bind "$tmp/auditd.conf" /etc/audit/auditd.conf || exit 99
exec "\$@"
EOS
  chmod +x "$tmp/input_logs.sh"
  wrap=(unshare -m --propagation private "$tmp/input_logs.sh")
  for args in "" "-au" "-f -i" "-x --summary" "-e --failed" "-t" "-k --summary" "${window[*]}"; do
    # shellcheck disable=SC2086
    report_check stock --input-logs $args
  done
  wrap=()
else
  echo "aureport --input-logs: skipped (needs root and unshare)"
fi

# The same directories with history indexes (bpfaudit index, 4 KiB blocks):
# ours with them against ours without (BPFAUDIT_NO_INDEX=1), which the
# checks above compare with stock. Events cross files here, ties and other
# nodes too. Then partly stale: lines appended to the newest file after
# indexing (its index covers a prefix) and one rotated file's index
# replaced by another file's (another inode: ignored).
indexer="$(dirname "$ours")/bpfaudit index"
index_skipped=0
index_restarts=0
for dir in "$tmp/mixed_lines" "$tmp/mixed_events" "$tmp/tiny" "$tmp/history" "$tmp/ties"; do
  d=$tmp/indexed_$(basename "$dir")
  cp -r "$dir" "$d"
  $indexer -q --block-size 4096 "$d" || fail "$(basename "$dir"): bpfaudit index failed"
  for state in fresh stale; do
    if [ $state = stale ]; then
      head -n 40 "$d/audit.log.1" >>"$d/audit.log"
      [ -f "$d/audit.log.3" ] && cp "$d/audit.log.2.bpfidx" "$d/audit.log.3.bpfidx"
    fi
    for args in "-k rarekey" "-k nomatch" "-k files -i" "-p 4242" "-m USER_LOGIN -sv no" \
                "-sc execve -i" "--just-one -m PATH" "-ui 0 --format csv" \
                "-ts $ts_date $ts_time -te $ts_date $te_time" \
                "-ts $ts_date $ts_time -te $ts_date $te_time -k files -i"; do
      # shellcheck disable=SC2086
      BPFAUDIT_NO_INDEX=1 "$ours" -if "$d" $args >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
      src=$?
      # shellcheck disable=SC2086
      BPFAUDIT_INDEX_STATS=1 "$ours" -if "$d" $args >"$tmp/o.out" 2>"$tmp/o.all" </dev/null
      orc=$?
      grep -v '^index: ' "$tmp/o.all" >"$tmp/o.err"
      n=$(sed -n 's/^index: .*skipped \([0-9]*\).*/\1/p' "$tmp/o.all" | head -1)
      index_skipped=$((index_skipped + ${n:-0}))
      grep -q '^index: .*restarted' "$tmp/o.all" && index_restarts=$((index_restarts + 1))
      compared=$((compared + 1))
      differs && fail "$(basename "$dir") indexed ($state): ausearch $args (rc full=$src indexed=$orc)"
    done
    for args in "--summary -ts $ts_date $ts_time -te $ts_date $te_time" "-x --summary -te $ts_date $ts_time"; do
      # shellcheck disable=SC2086
      BPFAUDIT_NO_INDEX=1 run_both "$ours_report" "$ours_report" -if "$d" $args
      # shellcheck disable=SC2086
      "$ours_report" -if "$d" $args >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
      orc=$?
      compared=$((compared + 1))
      differs && fail "$(basename "$dir") indexed ($state): aureport $args (rc full=$src indexed=$orc)"
    done
  done
done
echo "indexed: $index_skipped blocks skipped, $index_restarts runs restarted without the index"
compared=$((compared + 1))
[ "$index_skipped" -gt 0 ] || fail "indexed: no block was ever skipped"

# The parallel path has to be the one exercised: workers' runs taken on the
# generated history, a restart where ties were put.
stats() {  # dir
  BPFAUDIT_SCAN_THREADS=2 BPFAUDIT_SCAN_STATS=1 "$ours" -if "$1" -k nomatch 2>&1 >/dev/null |
    grep '^scan:'
}
h=$(stats "$tmp/history")
t=$(stats "$tmp/ties")
echo "history: $h"
echo "ties: $t"
compared=$((compared + 2))
taken=$(sed -E 's/.*, ([0-9]+) taken.*/\1/' <<<"$h")
[ "${taken:-0}" -ge 10 ] || fail "history: workers' runs taken only ${taken:-0} times ($h)"
grep -q restarted <<<"$t" || fail "ties: no restart ($t)"
# aureport's: the same, with the summary report.
report_stats() {  # dir
  BPFAUDIT_SCAN_THREADS=2 BPFAUDIT_SCAN_STATS=1 "$ours_report" -if "$1" 2>&1 >/dev/null |
    grep '^scan:'
}
h=$(report_stats "$tmp/history")
t=$(report_stats "$tmp/ties")
echo "aureport history: $h"
echo "aureport ties: $t"
compared=$((compared + 2))
taken=$(sed -E 's/.*, ([0-9]+) taken.*/\1/' <<<"$h")
[ "${taken:-0}" -ge 10 ] || fail "aureport history: workers' runs taken only ${taken:-0} times ($h)"
grep -q restarted <<<"$t" || fail "aureport ties: no restart ($t)"

if [ "$failed" -gt 0 ]; then
  echo "$failed of $compared comparisons differ:"
  printf '  %s\n' "${failures[@]:0:40}"
  exit 1
fi
echo "$compared passed, 0 failed"
