# Shared by the differential scripts (sourced, not run).

# compat_setup TOOL: sets $stock to the stock 3.0.9 tool, pins the locale and
# time zone the comparisons are made under, and makes a scratch dir $tmp.
compat_setup() {
  stock=/usr/sbin/$1
  [ -x "$stock" ] || { echo "stock $1 missing: run scripts/setup"; exit 1; }
  export TZ=UTC LC_ALL=C
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# collect_logs PATH...: fills the array `logs` with the files named, each
# directory replaced by the files below it in sorted order.
collect_logs() {
  logs=()
  local arg f
  for arg in "$@"; do
    if [ -d "$arg" ]; then
      while IFS= read -r f; do logs+=("$f"); done < <(find "$arg" -type f | sort)
    else
      logs+=("$arg")
    fi
  done
}

# run_both STOCK OURS ARG...: runs both tools with the same arguments (stdin
# from /dev/null); output in $tmp/{s,o}.{out,err}, exit codes in $src, $orc.
run_both() {
  local s=$1 o=$2
  shift 2
  "$s" "$@" >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
  src=$?
  "$o" "$@" >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
  orc=$?
}

# differs [SRC ORC]: true when the two runs disagree in exit code, stdout or
# stderr (exit codes default to the last run_both's).
differs() {
  [ "${1:-$src}" -ne "${2:-$orc}" ] || ! cmp -s "$tmp/s.out" "$tmp/o.out" ||
    ! cmp -s "$tmp/s.err" "$tmp/o.err"
}

# indexed_copy MODE SRC COPY INDEXER...: copies the log SRC to COPY with a
# history index of 4 KiB blocks (the smallest, so that small logs have many):
# `fresh` indexes the whole copy, `partial` its first half, the rest being
# appended after indexing (the index then covers a prefix).
indexed_copy() {
  local mode=$1 src=$2 copy=$3 half
  shift 3
  if [ "$mode" = partial ]; then
    half=$(( $(wc -l <"$src") / 2 ))
    head -n "$half" "$src" >"$copy"
    "$@" -q --block-size 4096 "$copy" || { echo "index failed: $copy"; return 1; }
    tail -n +"$((half + 1))" "$src" >>"$copy"
  else
    cp "$src" "$copy"
    "$@" -q --block-size 4096 "$copy" || { echo "index failed: $copy"; return 1; }
  fi
}
