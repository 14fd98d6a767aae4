#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of the fuzz build for SECONDS each, with its
# corpus under tests/fuzz/corpus/<target> (created if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-60}
found=0
for t in $(find "$build/tests/fuzz" -type f -name 'fuzz-*' -perm -u+x | sort); do
	name=$(basename "$t")
	corpus=tests/fuzz/corpus/$name
	mkdir -p "$corpus"
	echo "== $name (${seconds}s)"
	"$t" -max_total_time="$seconds" -print_final_stats=1 "$corpus" 2>&1 | tail -3
	found=$((found + 1))
done
echo "fuzzed $found targets"
