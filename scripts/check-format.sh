#!/usr/bin/env bash
# Checks that the C files of src/, tests/unit and tests/fuzz are formatted as .clang-format says
# (docs/style.md "Format"). `scripts/check-format.sh --fix` reformats them in place instead.
# The output depends on clang-format's version: Debian 12's clang-format 14 is the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
command -v "$CLANG_FORMAT" >/dev/null || { echo "format: $CLANG_FORMAT not found (scripts/deps.sh test)" >&2; exit 2; }
mapfile -t files < <({ find src tests/unit tests/fuzz -name '*.[ch]'
	find tests -maxdepth 1 -name '*.[ch]'; } | sort)
if [ "${1:-}" = --fix ]; then
	"$CLANG_FORMAT" -i "${files[@]}"
	echo "format: reformatted ${#files[@]} files"
	exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$CLANG_FORMAT" --dry-run -Werror "${files[@]}" 2>"$log"; then
	grep -E '^[^ ].*: error:' "$log" | cut -d: -f1 | sort | uniq -c |
		awk '{ n++; t += $1; if (n <= 10) printf "format: %s: %d places to reformat\n", $2, $1 }
		     END { if (n > 10) printf "format: ... %d files, %d places in all\n", n, t }'
	echo "format: run scripts/check-format.sh --fix (clang-format $("$CLANG_FORMAT" --version | grep -oE '[0-9]+\.[0-9.]+' | head -1))"
	exit 1
fi
echo "format: ok (${#files[@]} files)"
