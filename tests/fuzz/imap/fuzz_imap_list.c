/* libFuzzer target: LIST / LSUB pattern matching. The input is "pattern NUL name"; short
 * inputs are checked against a brute-force matcher, long ones must simply finish (the
 * matcher is O(pattern x name), libFuzzer's -timeout catches a regression). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_list_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
naive(const char *p, const char *n, char delim)
{
	if (*p == '\0')
		return *n == '\0';
	if (*p == '*' || *p == '%') {
		for (const char *k = n;; k++) {
			if (naive(p + 1, k, delim))
				return true;
			if (*k == '\0' || (*p == '%' && *k == delim))
				return false;
		}
	}
	return *p == *n && naive(p + 1, n + 1, delim);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *name;
	const char *nul;
	bool got;

	if (size > 8192)
		return 0;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	nul = memchr(copy, '\0', size);
	name = nul != NULL && (size_t)(nul - copy) < size ? copy + (nul - copy) + 1 : copy + size;
	got = imap_list_match(copy, name, '/');
	if (strlen(copy) <= 10 && strlen(name) <= 10 && got != naive(copy, name, '/'))
		__builtin_trap();
	/* a name always matches itself once its wildcards are read as themselves */
	if (strpbrk(name, "*%") == NULL && !imap_list_match(name, name, '/'))
		__builtin_trap();
	free(copy);
	return 0;
}
