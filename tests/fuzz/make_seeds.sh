#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora in OUT (one directory per target):
# audit logs cut into small groups of events, rules files whole and as
# command lines, and the hand-written seeds of tests/fuzz/seeds.
# Usage: make_seeds.sh SHARED_TESTDATA TESTS_DATA HANDWRITTEN_SEEDS OUT
set -euo pipefail
shared=$1 tests_data=$2 hand=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
for t in search report record_header auditctl_args auditctl_rules placement time auditd_conf \
         trace_decoder engine_event auditctl_diff plugin_conf remote_frame history_index \
         netlink_reply auparse_diff; do
  mkdir -p "$out/$t"
  if [ -d "$hand/$t" ]; then cp "$hand/$t"/* "$out/$t/" 2>/dev/null || true; fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Logs: events (lines sharing a msg=audit(...) stamp) gathered into chunks of
# at least 4 lines, at most 40 chunks per log.
logs=()
while IFS= read -r -d '' f; do logs+=("$f"); done < <(
  { [ -d "$shared/logs" ] && find "$shared/logs" -type f -print0
    find "$tests_data" -type f -name '*.log' -print0; } | sort -z)
n=0
for f in "${logs[@]}"; do
  rm -f "$tmp"/chunk.*
  awk -v dir="$tmp" '
    function stamp(s) { return match(s, /audit\([0-9.:]+\)/) ? substr(s, RSTART, RLENGTH) : s }
    { st = stamp($0)
      if (st != last && lines >= 4) { if (++chunks > 40) exit; lines = 0 }
      last = st; lines++
      print > (dir "/chunk." chunks + 0)
    }' "$f"
  for c in "$tmp"/chunk.*; do
    [ -s "$c" ] || continue
    n=$((n + 1))
    mode=$(printf '\\x%02x' $((n % 256)))
    crit=$(printf '\\x%02x' $(((n * 7) % 256)))
    kind=$(printf '\\x%02x' $(((n * 3) % 256)))
    mods=$(printf '\\x%02x' $(((n * 5) % 64)))
    { printf "$mode$crit"; cat "$c"; } > "$out/search/log-$n"
    { printf "$kind$mods\\x00"; cat "$c"; } > "$out/report/log-$n"
    { printf '\x00'; head -n 2 "$c"; } > "$out/record_header/line-$n"
    cp "$c" "$out/auparse_diff/log-$n"
  done
done
# Enriched variants: a raw chunk with interpreted parts after 0x1d, as
# auditd's log_format=ENRICHED writes them.
for f in "$out"/search/log-1?; do
  [ -f "$f" ] || continue
  sed 's/$/\x1dUID="root" AUID="unset" ARCH=x86_64 SYSCALL=openat/' "$f" > "$f-enriched"
done
for f in "$out"/auparse_diff/log-1?; do
  [ -f "$f" ] || continue
  sed 's/$/\x1dUID="root" AUID="unset" ARCH=x86_64 SYSCALL=openat/' "$f" > "$f-enriched"
done

# Rules: whole files, and their command lines in small groups.
rules=()
while IFS= read -r -d '' f; do rules+=("$f"); done < <(
  { [ -d "$shared/rules" ] && find "$shared/rules" -type f -name '*.rules' -print0
    [ -d "$shared/audit-userspace-v3.0.9/rules" ] &&
      find "$shared/audit-userspace-v3.0.9/rules" -type f -name '*.rules' -print0; } | sort -z)
n=0
for f in "${rules[@]}"; do
  n=$((n + 1))
  head -c 16384 "$f" > "$out/auditctl_rules/file-$n"
  grep -v '^[[:space:]]*\(#\|$\)' "$f" > "$tmp/lines" || true
  split -l 5 -a 3 "$tmp/lines" "$out/auditctl_args/cmds-$n-"
  grep -E '^-[aA] +[a-z]+,exit|^-[aA] +exit,[a-z]+' "$tmp/lines" > "$tmp/exit" || true
  if [ -s "$tmp/exit" ]; then split -l 8 -a 3 "$tmp/exit" "$out/placement/rules-$n-"; fi
  # auditctl_diff: a rule's pieces, one a line, after the list's byte.
  { grep -E '^-[aA] ' "$tmp/lines" || true; } | head -n 20 | awk -v dir="$out/auditctl_diff" -v n="$n" '
    { list = ($2 ~ /user/) ? 1 : ($2 ~ /exclude/) ? 2 : ($2 ~ /task/) ? 3 : ($2 ~ /filesystem/) ? 4 : 0
      f = dir "/rule-" n "-" NR
      printf "%c", list + 50 > f  # "2": byte 50, list 50 % 5 = 0 (exit)
      for (i = 3; i < NF; i++) {
        if ($i == "-F") print $(++i) > f
        else if ($i == "-C") print "C " $(++i) > f
        else if ($i == "-k") print "key=" $(++i) > f
        else if ($i == "-S") { k = split($(++i), sc, ","); for (j = 1; j <= k; j++) print "S " sc[j] > f }
      }
      close(f)
    }'
done
find "$out" -type f -empty -delete
touch "$out/.stamp"
echo "fuzz seeds: $(for d in "$out"/*/; do printf '%s=%s ' "$(basename "$d")" "$(ls "$d" | wc -l)"; done)"
