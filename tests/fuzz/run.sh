#!/usr/bin/env bash
# Runs every fuzzer of a build directory configured with -DAGENTFLEET_FUZZ=ON:
# first over its committed seed corpus (tests/fuzz/.../<name>_corpus, every
# input that once crashed included), then mutating for SECONDS seconds, with
# the words of its format from <name>.dict beside the corpus.
# New interesting inputs go to <build>/fuzz-corpus/<name>, never into the
# source tree; a crash leaves its input in <build>/fuzz-artifacts/ and fails.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [NAME_REGEX]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?build directory}
seconds=${2:?seconds per fuzzer}
only=${3:-.}
[[ -f $build/fuzzers.tsv ]] || { echo "fuzz: $build is not configured with -DAGENTFLEET_FUZZ=ON" >&2; exit 2; }

failed=()
ran=0
start=$SECONDS
while IFS=$'\t' read -r name corpus; do
  [[ $name =~ $only ]] || continue
  work=$build/fuzz-corpus/$name
  artifacts=$build/fuzz-artifacts
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f ${corpus%_corpus}.dict ]] && dict=(-dict="${corpus%_corpus}.dict")
  log=$build/fuzz-logs/$name.log
  mkdir -p "$(dirname "$log")"
  # -timeout: one input that takes seconds is a hang, a bug like a crash.
  # -rss_limit_mb: a parser that balloons on a few KiB of input is a bug too.
  if "$build/fuzzers/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "${dict[@]}" "$work" "$corpus" \
      >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $name ok (${seconds}s, ${execs:-?} runs, corpus $(ls "$corpus" | wc -l) seeds)"
  else
    echo "fuzz: $name FAILED; log $log, input in $artifacts/$name-*" >&2
    grep -m5 -E 'ERROR|FUZZ_CHECK|runtime error|Test unit written' "$log" >&2 || tail -20 "$log" >&2
    failed+=("$name")
  fi
  ran=$((ran + 1))
done <"$build/fuzzers.tsv"

((ran > 0)) || { echo "fuzz: no fuzzer matches '$only'" >&2; exit 2; }
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} of $ran failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: $ran fuzzers passed in $((SECONDS - start))s"
