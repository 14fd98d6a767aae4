#!/usr/bin/env bash
# `make test`: build (normal and ASan+UBSan, which also links the layer-check programs of
# meson.build), the layering, cppcheck and clang-format checks, unit tests in both builds, then
# the integration tests against both binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
PY=/usr/bin/python3   # Debian's, which has pytest (a pyenv python3 may come first in PATH)
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

step "build"
make --no-print-directory build asan

step "layering and static checks"
scripts/check-layers.sh
scripts/cppcheck.sh
scripts/check-format.sh

step "unit tests"
meson test -C "$BUILD" --print-errorlogs --num-processes 2
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$ASAN_BUILD" --print-errorlogs --num-processes 2 --timeout-multiplier 4

step "integration tests"
YUBIN_BIN="$PWD/$BUILD/yubin" $PY -m pytest tests/integration -q -x -p no:cacheprovider

step "integration tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=0:print_stacktrace=1 \
	YUBIN_BIN="$PWD/$ASAN_BUILD/yubin" YUBIN_SANITIZED=1 \
	$PY -m pytest tests/integration -q -x -p no:cacheprovider

step "all tests passed"
