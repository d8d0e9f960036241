# Sourced by bench-search and bench-report: stock vs ours on every shared log.
# Small logs finish in a few milliseconds, where one run is mostly process
# start-up noise, so each side runs RUNS times (default 20), interleaved run by
# run, and the totals are compared. Prints one line per log and the slowest
# ratio; sets SHARED_SLOWEST to it.
# Usage: compare_shared_logs STOCK OURS ARGS...
compare_shared_logs() {
  local stock=$1 ours=$2
  shift 2
  local dir=${BPFAUDIT_SHARED_TESTDATA:-$(dirname "${BASH_SOURCE[0]}")/../../../shared/testdata}/logs
  local runs=${RUNS:-20} log s o i t0 t1 r
  SHARED_SLOWEST=
  printf '%-58s %9s %9s %8s\n' "shared log ($* , x$runs)" "stock s" "ours s" "speedup"
  while IFS= read -r log; do
    s=0 o=0
    for i in $(seq "$runs"); do
      t0=$(date +%s%N); "$stock" -if "$log" "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
      s=$((s + t1 - t0))
      t0=$(date +%s%N); "$ours" -if "$log" "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
      o=$((o + t1 - t0))
    done
    r=$(echo "scale=2; $s / $o" | bc -l)
    printf '%-58s %9.3f %9.3f %7sx\n' "$(basename "$log" | cut -c1-58)" \
      "$(echo "$s / 1000000000" | bc -l)" "$(echo "$o / 1000000000" | bc -l)" "$r"
    if [ -z "$SHARED_SLOWEST" ] || [ "$(echo "$r < $SHARED_SLOWEST" | bc -l)" = 1 ]; then
      SHARED_SLOWEST=$r
    fi
  done < <(find "$dir" -type f | sort)
  echo "slowest shared-log ratio (stock/ours, >= 1 means ours is never slower): ${SHARED_SLOWEST}x"
}
