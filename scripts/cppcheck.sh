#!/usr/bin/env bash
# cppcheck over src/: any warning fails the check.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(cppcheck --quiet --enable=warning,portability,performance --std=c11 --inline-suppr \
	--error-exitcode=1 -j 2 -I src -D_GNU_SOURCE --suppress=missingIncludeSystem \
	--include=/usr/include/x86_64-linux-gnu/sys/queue.h \
	src 2>&1) || { echo "$out"; echo "cppcheck: FAILED"; exit 1; }
[ -z "$out" ] || { echo "$out"; echo "cppcheck: FAILED"; exit 1; }
echo "cppcheck: ok"
