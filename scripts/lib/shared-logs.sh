# Sourced by bench-search and bench-report: stock vs ours on every shared log.
# Small logs finish in a few milliseconds, mostly process start-up, so each
# side runs RUNS times (default 101) interleaved by build/bin/run_pair: the
# speedup is the median of the per-pair ratios (the two runs of a pair share
# the host's conditions), the times shown are each side's median. One
# preempted run would otherwise decide a sum. Prints one line per log, the
# slowest ratio and, on that log, stock against itself (what the measurement
# alone can show); sets SHARED_SLOWEST.
# Usage: compare_shared_logs STOCK OURS ARGS...
compare_shared_logs() {
  local stock=$1 ours=$2
  shift 2
  local dir=${BPFAUDIT_SHARED_TESTDATA:-$(dirname "${BASH_SOURCE[0]}")/../../../shared/testdata}/logs
  local runs=${RUNS:-101} log s o r
  local run_pair=${RUN_PAIR:-$(dirname "${BASH_SOURCE[0]}")/../../build/bin/run_pair}
  SHARED_SLOWEST=
  local slowest_log=
  printf '%-58s %9s %9s %8s\n' "shared log ($*, median of $runs)" "stock ms" "ours ms" "speedup"
  while IFS= read -r log; do
    read -r s o r < <("$run_pair" "$runs" -- "$stock" -if "$log" "$@" -- "$ours" -if "$log" "$@")
    r=$(printf '%.2f' "$r")
    printf '%-58s %9.3f %9.3f %7sx\n' "$(basename "$log" | cut -c1-58)" \
      "$(echo "$s / 1000000" | bc -l)" "$(echo "$o / 1000000" | bc -l)" "$r"
    if [ -z "$SHARED_SLOWEST" ] || [ "$(echo "$r < $SHARED_SLOWEST" | bc -l)" = 1 ]; then
      SHARED_SLOWEST=$r
      slowest_log=$log
    fi
  done < <(find "$dir" -type f | sort)
  echo "slowest shared-log ratio (stock/ours, >= 1 means ours is never slower): ${SHARED_SLOWEST}x"
  # The noise floor on that log: stock against itself, same pairing.
  read -r s o r < <("$run_pair" "$runs" -- "$stock" -if "$slowest_log" "$@" -- "$stock" -if "$slowest_log" "$@")
  echo "A/A control (stock vs stock) on $(basename "$slowest_log"): $(printf '%.2f' "$r")x"
}
