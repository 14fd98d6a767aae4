#!/usr/bin/env bash
# Checks the layering of docs/design.md "Layers": a folder of src/ includes only headers of
# folders of a lower rank (or its own); smtp, pop3, imap and http never include each other.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A rank=([util]=0 [log]=1 [mail]=1 [conf]=2 [net]=3 [dns]=4 [db]=4 [acme]=4 [auth]=5 [mailauth]=5
	[store]=5 [filter]=5 [spam]=5 [queue]=6 [smtp]=7 [pop3]=7 [imap]=7 [http]=7 [cli]=8)
bad=0
for f in $(find src -name '*.[ch]' | sort); do
	dir=$(echo "$f" | cut -d/ -f2)
	r=${rank[$dir]:-}
	[ -n "$r" ] || { echo "layering: $f: unknown component $dir"; bad=1; continue; }
	for inc in $(grep -oE '^#include "[a-z0-9_]+/' "$f" | sed -E 's/#include "([a-z0-9_]+)\//\1/' | sort -u); do
		[ "$inc" = "$dir" ] && continue
		ir=${rank[$inc]:-}
		if [ -z "$ir" ]; then echo "layering: $f includes unknown component $inc"; bad=1; continue; fi
		if [ "$ir" -ge "$r" ] && ! { [ "$dir" = log ] && [ "$inc" = mail ]; }; then
			echo "layering: $f ($dir, rank $r) includes $inc (rank $ir)"
			bad=1
		fi
	done
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
