#!/usr/bin/env bash
# Writes the seeds of fuzz.history_index (tests/fuzz/seeds/history_index/):
# `bpfaudit index` output for the two logs the target builds, with 4 KiB and
# 8 KiB blocks and two end-of-event timeouts. The target takes an index for
# the log whose size is its covered size, and sets the device, inode and
# mtime to that log's, so these stay valid seeds on any host.
# Usage: make_index_seeds.sh FUZZ_HISTORY_INDEX_BINARY BPFAUDIT_BINARY
set -euo pipefail
fuzzer=$1 bpfaudit=$2
out=$(cd "$(dirname "$0")" && pwd)/seeds/history_index
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BPFAUDIT_FUZZ_WRITE_LOGS=$tmp "$fuzzer" >/dev/null 2>&1
rm -rf "$out"
mkdir -p "$out"
for log in log0 log1; do
  for args in "--block-size 4096 --eoe-timeout 2" "--block-size 8192 --eoe-timeout 2" \
              "--block-size 4096 --eoe-timeout 1"; do
    "$bpfaudit" index -q --force --config /nonexistent $args "$tmp/$log.log"
    name=$log-$(echo "$args" | awk '{ print $2 / 1024 "k-eoe" $4 }')
    cp "$tmp/$log.log.bpfidx" "$out/$name"
  done
done
ls -l "$out"
