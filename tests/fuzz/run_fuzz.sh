#!/usr/bin/env bash
# One fuzz target for a fixed time, as ctest runs it: first every committed
# regression input once, then fuzzing from the seed corpus. New inputs go to
# a scratch corpus that is removed afterwards; a crash leaves its input in
# ./artifacts/ (the ctest working directory) and fails the test.
# scripts/fuzz sets FUZZ_SECONDS (instead of SECONDS) and FUZZ_CORPUS_ROOT
# (new inputs are kept in FUZZ_CORPUS_ROOT/TARGET instead).
# Usage: run_fuzz.sh TARGET SECONDS DICT|"" SEEDS_DIR REGRESSIONS_DIR [libFuzzer flags...]
set -uo pipefail
target=$1 seconds=$2 dict=$3 seeds=$4 regressions=$5
shift 5
name=$(basename "$target")
seconds=${FUZZ_SECONDS:-$seconds}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch  # the target's own mkdtemp lands in here too
# Leaks of stock libauparse are not ours to fix (see lsan.supp).
export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
mkdir -p artifacts
flags=(-timeout=20 -rss_limit_mb=3072 -artifact_prefix="$PWD/artifacts/$name-" "$@")
# A target's CI-only flags (auparse_diff: -runs=0, its corpus without
# mutation), not in scripts/fuzz's long runs.
if [ -z "${FUZZ_SECONDS:-}" ] && [ -n "${BPFAUDIT_FUZZ_CI_FLAGS:-}" ]; then
  read -ra ci_flags <<< "$BPFAUDIT_FUZZ_CI_FLAGS"
  flags+=("${ci_flags[@]}")
fi
[ -n "$dict" ] && flags+=(-dict="$dict")

if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "== $name: regression inputs"
  "$target" "${flags[@]}" "$regressions"/* || exit 1
fi
echo "== $name: fuzzing for ${seconds}s"
corpus=$scratch/corpus
[ -n "${FUZZ_CORPUS_ROOT:-}" ] && corpus=$FUZZ_CORPUS_ROOT/$name
mkdir -p "$corpus"
dirs=("$corpus")
[ -d "$seeds" ] && dirs+=("$seeds")
"$target" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 "${dirs[@]}" \
  2> "$scratch/log"
rc=$?
# The fuzzer's own summary, and the whole report on failure, then its first
# line of cause again at the very end: CI prints a report's head and tail,
# and a checker's message (event_check.h: "WHAT in:", then the records)
# once fell in the cut between them.
if [ $rc -ne 0 ]; then
  cat "$scratch/log"
  cause=$(grep -m1 -aE ' in:$|^==[0-9]+==ERROR|runtime error|^SUMMARY' "$scratch/log" | cut -c1-300)
  echo "== $name: failed (exit $rc): ${cause:-see the report above}"
else
  grep -E '^(#[0-9]+ +DONE|stat::|Done )' "$scratch/log"
fi
exit $rc
