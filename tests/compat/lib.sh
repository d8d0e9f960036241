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
