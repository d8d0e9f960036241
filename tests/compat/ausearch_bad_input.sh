#!/usr/bin/env bash
# Bad input for ausearch, run with AddressSanitizer/UBSan: binary garbage, truncated and
# mangled logs, a missing file, directories without logs, over-long lines,
# NUL bytes and CRLF. Every case must finish without a sanitizer report, and
# with stock ausearch 3.0.9's stdout, stderr and exit code.
# Usage: ausearch_bad_input.sh ASAN_AUSEARCH SAMPLE_LOG
set -u
ours=$1
sample=$2
stock=/usr/sbin/ausearch
[ -x "$stock" ] || { echo "stock ausearch missing: run scripts/setup"; exit 1; }
export TZ=UTC LC_ALL=C
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The inputs.
cp /usr/sbin/auditctl "$tmp/garbage.bin"
size=$(wc -c <"$sample")
head -c $((size / 2)) "$sample" >"$tmp/truncated.log"
head -c $((size / 3 + 7)) "$sample" >"$tmp/truncated2.log"
grep -m1 -o '^.*msg=audit(1' "$sample" >"$tmp/cut-in-stamp.log"
: >"$tmp/empty.log"
mkdir -p "$tmp/emptydir" "$tmp/otherdir"
echo "not a log" >"$tmp/otherdir/notes.txt"
sed 's/$/\r/' "$sample" >"$tmp/crlf.log"
sed 's/ uid=/ uid\x00=/' "$sample" >"$tmp/nul.log"
sed -E 's/audit\(([0-9]+)\./audit(\1x/; 3~5s/msg=audit/msg=audi/; 4~7s/:[0-9]+\)/:)/' "$sample" >"$tmp/mangled.log"
tr 'a-z=' 'n-za-m ' <"$sample" >"$tmp/rot13.log"
{
  head -3 "$sample"
  printf 'type=SYSCALL msg=audit(1700000000.000:1): comm="'
  head -c 70000 /dev/zero | tr '\0' 'A'
  printf '"\n'
  printf 'type=USER msg=audit(1700000000.000:2): msg='"'"
  head -c 200000 /dev/zero | tr '\0' 'B'
} >"$tmp/long-lines.log"
printf 'type=SYSCALL msg=audit(99999999999999999999.000:1): x=1\ntype=SYSCALL msg=audit(1.1:99999999999999999999999): y\n' >"$tmp/overflow.log"

compared=0
failed=0
stock_crashed=0
check() {  # description, then ausearch arguments
  local what=$1
  shift
  "$stock" "$@" >"$tmp/s.out" 2>"$tmp/s.err" </dev/null
  local src=$?
  "$ours" "$@" >"$tmp/o.out" 2>"$tmp/o.err" </dev/null
  local orc=$?
  compared=$((compared + 1))
  if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/o.err"; then
    failed=$((failed + 1))
    echo "FAIL sanitizer: $what: ausearch $*"
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$tmp/o.err"
    return
  fi
  if [ $src -ge 128 ]; then
    # Stock itself crashed: nothing to match, but ours must not.
    stock_crashed=$((stock_crashed + 1))
    echo "note: stock crashed (rc $src) on $what: ausearch $*; ours rc $orc"
    [ $orc -lt 128 ] || { failed=$((failed + 1)); echo "FAIL crash: $what"; }
    return
  fi
  if [ $src -ne $orc ] || ! cmp -s "$tmp/s.out" "$tmp/o.out" || ! cmp -s "$tmp/s.err" "$tmp/o.err"; then
    failed=$((failed + 1))
    echo "FAIL differs from stock: $what: ausearch $* (rc stock=$src ours=$orc)"
    diff <(cat "$tmp/s.out" "$tmp/s.err") <(cat "$tmp/o.out" "$tmp/o.err") | head -8
  fi
}

for f in garbage.bin truncated.log truncated2.log cut-in-stamp.log empty.log crlf.log nul.log \
         mangled.log rot13.log long-lines.log overflow.log; do
  for args in "--raw" "" "-i" "--format csv" "--format text" "--format raw -m ALL" "-p 1" \
              "-k x" "-f /etc" "-c A" "-ts 01/01/2000"; do
    # shellcheck disable=SC2086
    check "$f" -if "$tmp/$f" $args
  done
done
check "missing file" -if "$tmp/no-such.log"
check "missing file, -i" -if "$tmp/no-such.log" -i
check "directory without logs" -if "$tmp/emptydir"
check "directory of other files" -if "$tmp/otherdir"
check "unreadable checkpoint" -if "$sample" --checkpoint "$tmp/garbage.bin"
check "checkpoint in a missing dir" -if "$sample" --checkpoint "$tmp/none/cp"
# The same inputs piped on stdin (stock reads stdin when it is not a tty).
for f in garbage.bin truncated.log long-lines.log; do
  "$stock" --raw <"$tmp/$f" >"$tmp/s.out" 2>"$tmp/s.err"; src=$?
  "$ours" --raw <"$tmp/$f" >"$tmp/o.out" 2>"$tmp/o.err"; orc=$?
  compared=$((compared + 1))
  if grep -q -E 'AddressSanitizer|runtime error:' "$tmp/o.err" || [ $src -ne $orc ] ||
     ! cmp -s "$tmp/s.out" "$tmp/o.out" || ! cmp -s "$tmp/s.err" "$tmp/o.err"; then
    failed=$((failed + 1))
    echo "FAIL stdin $f (rc stock=$src ours=$orc)"
  fi
done

echo "ausearch bad input under ASan/UBSan: $compared cases, $failed failed, stock crashed on $stock_crashed"
[ $failed = 0 ]
