#!/usr/bin/env bash
# Differential test: our ausearch against stock ausearch 3.0.9 on the same logs
# and criteria; stdout, stderr and exit codes must be identical.
# Usage: ausearch_compat.sh [--shard I/N] [--index fresh|partial] OUR_AUSEARCH LOG_OR_DIR...
# --shard I/N checks every N-th log starting at the I-th (from 0), so ctest
# can run the shards side by side; shard 0 also runs the option-error cases.
# --index MODE runs every case on a copy of each log with a history index
# (`bpfaudit index --block-size 4096`, the smallest blocks, so that small
# logs have many): `fresh` indexes the whole copy, `partial` indexes its
# first half and then appends the rest (the index covers a prefix). The
# reference is then ours without the index (BPFAUDIT_NO_INDEX=1), which the
# plain run compares with stock, and no known difference is allowed: the
# index must not change a byte.
set -u
shard=0
shards=1
index_mode=
if [ "${1:-}" = --shard ]; then
  shard=${2%/*}
  shards=${2#*/}
  shift 2
fi
if [ "${1:-}" = --index ]; then
  index_mode=$2
  shift 2
fi
ours=$1
shift
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_setup ausearch
if [ -n "$index_mode" ]; then
  printf '#!/bin/sh\nBPFAUDIT_NO_INDEX=1 exec %q "$@"\n' "$ours" >"$tmp/noindex"
  chmod +x "$tmp/noindex"
  stock=$tmp/noindex
  indexer="$(dirname "$ours")/bpfaudit index"
fi

compared=0
failed=0
known=0
failures=()
# Differences we have seen and not yet fixed, one per line:
#   LOG-BASENAME<TAB>ARGS<TAB>REASON
# A listed case that differs is counted as known; any other difference fails.
known_file=$(dirname "$0")/ausearch_known_differences.tsv
is_known() {  # log args
  [ -z "$index_mode" ] && [ -f "$known_file" ] && grep -qF "$(printf '%s\t%s\t' "$1" "$2")" "$known_file"
}

run_case() {  # log, then ausearch arguments
  local log=$1
  shift
  run_both "$stock" "$ours" -if "$log" "$@"
  compared=$((compared + 1))
  if differs; then
    if is_known "$(basename "$log")" "$*"; then
      known=$((known + 1))
      return
    fi
    failed=$((failed + 1))
    echo "NEWDIFF	$(basename "$log")	$*"
    failures+=("$(basename "$log"): ausearch $* (rc stock=$src ours=$orc)")
    if [ ${#failures[@]} -le 5 ]; then
      echo "--- DIFF $(basename "$log") $*"
      diff <(cat "$tmp/s.out" "$tmp/s.err") <(cat "$tmp/o.out" "$tmp/o.err") | head -10
    fi
  fi
}

# First up-to-N distinct values of a field (unquoted) in a log.
values() {  # log field n
  grep -aoE "(^| |')$2=[^ ']+" "$1" 2>/dev/null | sed -E "s/^[ ']?$2=//; s/^\"//; s/\"$//" |
    awk '!seen[$0]++' | head -n "$3"
}

collect_logs "$@"

all_logs=("${logs[@]}")
logs=()
for i in "${!all_logs[@]}"; do
  [ $((i % shards)) = "$shard" ] && logs+=("${all_logs[$i]}")
done

# Indexed copies of the logs (see --index).
skipped_blocks=0
if [ -n "$index_mode" ]; then
  copies=()
  for i in "${!logs[@]}"; do
    orig=${logs[$i]}
    mkdir -p "$tmp/idx/$i"
    copy=$tmp/idx/$i/$(basename "$orig")
    indexed_copy "$index_mode" "$orig" "$copy" $indexer || exit 1
    copies+=("$copy")
    # That the index is used at all: a key no log has rules out every block
    # the index covers that holds a record.
    n=$(BPFAUDIT_INDEX_STATS=1 "$ours" -if "$copy" -k nosuchkey.index 2>&1 >/dev/null |
        sed -n 's/.*skipped \([0-9]*\).*/\1/p')
    skipped_blocks=$((skipped_blocks + ${n:-0}))
  done
  logs=("${copies[@]}")
fi

for log in "${logs[@]}"; do
  for fmt in "--raw" "" "-i"; do
    f=()
    [ -n "$fmt" ] && f=("$fmt")
    run_case "$log" "${f[@]}"
    run_case "$log" "${f[@]}" -m ALL
    for t in $(grep -aoE '^(node=[^ ]+ )?type=[A-Z_0-9]+' "$log" | sed 's/.*type=//' | grep -v '^UNKNOWN' | sort -u | head -8); do
      run_case "$log" "${f[@]}" -m "$t"
    done
    run_case "$log" "${f[@]}" -m SYSCALL,PATH,USER_LOGIN
    for v in $(values "$log" pid 3) 999999; do run_case "$log" "${f[@]}" -p "$v"; done
    for v in $(values "$log" ppid 2) 999999; do run_case "$log" "${f[@]}" -pp "$v"; done
    for v in $(values "$log" uid 2) 4242; do
      run_case "$log" "${f[@]}" -ui "$v"
      run_case "$log" "${f[@]}" -ua "$v"
    done
    for v in $(values "$log" euid 2); do run_case "$log" "${f[@]}" -ue "$v"; done
    for v in $(values "$log" auid 2) -1; do run_case "$log" "${f[@]}" -ul "$v"; done
    for v in $(values "$log" gid 2) 4242; do
      run_case "$log" "${f[@]}" -gi "$v"
      run_case "$log" "${f[@]}" -ga "$v"
    done
    for v in $(values "$log" egid 1); do run_case "$log" "${f[@]}" -ge "$v"; done
    for v in $(values "$log" syscall 3); do run_case "$log" "${f[@]}" -sc "$v"; done
    run_case "$log" "${f[@]}" -sc open
    run_case "$log" "${f[@]}" --arch b64 -sc execve
    for v in $(values "$log" key 2) nosuchkey; do run_case "$log" "${f[@]}" -k "$v"; done
    for v in $(values "$log" comm 2); do
      run_case "$log" "${f[@]}" -c "$v"
      run_case "$log" "${f[@]}" -w -c "$v"
    done
    for v in $(values "$log" exe 2); do run_case "$log" "${f[@]}" -x "$v"; done
    for v in $(values "$log" name 2) /etc; do
      run_case "$log" "${f[@]}" -f "$v"
      run_case "$log" "${f[@]}" -w -f "$v"
    done
    for v in $(values "$log" hostname 2) nohost; do run_case "$log" "${f[@]}" -hn "$v"; done
    for v in $(values "$log" terminal 1) $(values "$log" tty 1); do run_case "$log" "${f[@]}" -tm "$v"; done
    for v in $(values "$log" subj 1) $(values "$log" scontext 1); do
      run_case "$log" "${f[@]}" -su "$v"
      run_case "$log" "${f[@]}" -se "$v"
    done
    for v in $(values "$log" tcontext 1) $(values "$log" obj 1); do run_case "$log" "${f[@]}" -o "$v"; done
    run_case "$log" "${f[@]}" -sv yes
    run_case "$log" "${f[@]}" -sv no
    for v in $(values "$log" exit 2); do run_case "$log" "${f[@]}" -e "$v"; done
    run_case "$log" "${f[@]}" -e ENOENT
    for v in $(values "$log" ses 2); do run_case "$log" "${f[@]}" --session "$v"; done
    for v in $(grep -aoE 'msg=audit\([0-9]+\.[0-9]+:[0-9]+\)' "$log" | sed -E 's/.*:([0-9]+)\)/\1/' | awk '!s[$0]++' | head -2); do
      run_case "$log" "${f[@]}" -a "$v"
    done
    for v in $(values "$log" node 2); do run_case "$log" "${f[@]}" -n "$v"; done
    for v in $(values "$log" vm 1); do run_case "$log" "${f[@]}" -vm "$v"; done
    for v in $(values "$log" uuid 1); do run_case "$log" "${f[@]}" -uu "$v"; done
    # Time ranges from the log's own stamps, in the locale's date form.
    secs=$(grep -aoE 'msg=audit\([0-9]+' "$log" | sed 's/.*(//' | sort -n | sed -n '1p;$p')
    first=$(echo "$secs" | head -1)
    lastsec=$(echo "$secs" | tail -1)
    if [ -n "$first" ]; then
      mid=$(( (first + lastsec) / 2 ))
      run_case "$log" "${f[@]}" -ts "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)"
      run_case "$log" "${f[@]}" -te "$(date -d "@$mid" +%x)" "$(date -d "@$mid" +%T)"
      run_case "$log" "${f[@]}" -ts "$(date -d "@$first" +%x)"
      run_case "$log" "${f[@]}" -ts recent
      run_case "$log" "${f[@]}" -te now
      run_case "$log" "${f[@]}" -ts this-year
    fi
  done
  run_case "$log" --format csv
  run_case "$log" --format csv --extra-keys --extra-labels --extra-obj2 --extra-time
  run_case "$log" --format text
  run_case "$log" --format csv -sv no
  run_case "$log" --format text -m SYSCALL
  run_case "$log" -i --escape raw
  run_case "$log" --just-one
  run_case "$log" --format raw -m SYSCALL
  run_case "$log" --escape shell
  run_case "$log" --escape raw
done

report() {
  [ -n "$index_mode" ] && echo "index ($index_mode): a search for a missing key skipped $skipped_blocks blocks over these logs"
  echo "ausearch compat${index_mode:+ (index $index_mode, against ours without index)}: compared $compared cases over ${#logs[@]} logs (shard $shard/$shards): $((compared - failed - known)) identical, $known known differences (listed with reasons in $(basename "$known_file")), $failed new differences"
  if [ $failed -gt 0 ]; then
    printf '  %s\n' "${failures[@]:0:40}"
    exit 1
  fi
  if [ -n "$index_mode" ] && [ "$skipped_blocks" -eq 0 ]; then
    echo "the index was never used"
    exit 1
  fi
  echo "$((compared - known)) passed, 0 failed"
  exit 0
}
# The checkpoint and command-line cases read no index.
[ "$shard" = 0 ] && [ -z "$index_mode" ] || report

# --checkpoint: two runs in a row; outputs, exit codes and the checkpoint
# files themselves must agree.
for log in "${logs[@]:0:8}"; do
  rm -f "$tmp/cp.s" "$tmp/cp.o"
  for round in 1 2; do
    "$stock" -if "$log" --checkpoint "$tmp/cp.s" -m ALL >"$tmp/s.out" 2>&1 </dev/null; src=$?
    "$ours" -if "$log" --checkpoint "$tmp/cp.o" -m ALL >"$tmp/o.out" 2>&1 </dev/null; orc=$?
    compared=$((compared + 1))
    if [ $src -ne $orc ] || ! cmp -s "$tmp/s.out" "$tmp/o.out" || ! cmp -s "$tmp/cp.s" "$tmp/cp.o"; then
      failed=$((failed + 1))
      failures+=("$(basename "$log"): --checkpoint round $round (rc stock=$src ours=$orc)")
    fi
  done
done
printf 'dev=0x1\ninode=1\noutput=bad\n' >"$tmp/cp.bad"
run_case "${logs[0]}" --checkpoint "$tmp/cp.bad"

# Command-line errors (no log needed, but -if keeps stock off the system log).
err_log=${logs[0]}
for args in "-p" "-p abc" "-m NOSUCHTYPE" "-sc nosuchcall" "-ts 99/99/9999" "-te 25:99:00" \
            "-a x" "-ui nosuchuser" "-gi nosuchgroup" "-sv maybe" "--bogus" "-i -r" \
            "--format nope" "--escape nope" "--extra-keys" "-e NOSUCHERRNO" "--session x" \
            "--arch nope" "--eoe-timeout 0" "-r -r"; do
  # shellcheck disable=SC2086
  run_case "$err_log" $args
done
# Input errors: missing file, directory without logs, binary garbage.
run_case /nonexistent/file.log
mkdir -p "$tmp/emptydir"
run_case "$tmp/emptydir"
cp /usr/sbin/auditctl "$tmp/garbage.log"  # a binary: deterministic garbage
run_case "$tmp/garbage.log"

report
