/* LIST pattern matching (see imap_list_match.h). A recursive matcher backtracks once per
 * wildcard and position, exponential in the number of wildcards ("*a*a*a*a*a*b" against
 * 400 "a" froze the server); this one fills the classic dynamic-programming table row by
 * row: row i says which prefixes of the name the first i pattern bytes match. */
#include "imap/imap_list_match.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

/* Names of STORE_MAILBOX_NAME_MAX (500) bytes fit without allocating. */
#define MATCH_STACK_ROW 512

/* Bytes of pattern that are not wildcards: a name shorter than that cannot match. */
static size_t
literal_bytes(const char *pattern)
{
	size_t n = 0;

	for (const char *p = pattern; *p != '\0'; p++)
		n += *p != '*' && *p != '%';
	return n;
}

/* row[j]: the pattern so far matches name[0..j). One pattern byte advances the row. */
static void
match_step(char pc, const char *name, size_t len, char delim, unsigned char *row)
{
	if (pc == '*') {
		/* anything: a prefix matched so far extends to every longer one */
		for (size_t j = 1; j <= len; j++)
			row[j] |= row[j - 1];
	} else if (pc == '%') {
		/* anything but the delimiter */
		for (size_t j = 1; j <= len; j++)
			row[j] |= row[j - 1] && name[j - 1] != delim;
	} else {
		/* one byte: shift by one where it matches (right to left, in place) */
		for (size_t j = len; j > 0; j--)
			row[j] = row[j - 1] && name[j - 1] == pc;
		row[0] = 0;
	}
}

bool
imap_list_match(const char *pattern, const char *name, char delim)
{
	unsigned char stack_row[MATCH_STACK_ROW + 1];
	unsigned char *row = stack_row;
	size_t len = strlen(name);
	bool match;

	if (literal_bytes(pattern) > len)
		return false;
	if (len > MATCH_STACK_ROW)
		row = xmalloc(len + 1);
	memset(row, 0, len + 1);
	row[0] = 1; /* the empty pattern matches the empty prefix */
	for (const char *p = pattern; *p != '\0'; p++) {
		/* "**", "*%", "%*": runs of wildcards are one step ("*" if any) */
		if ((*p == '*' || *p == '%') && (p[1] == '*' || p[1] == '%')) {
			if (*p == '*' || p[1] == '*') {
				while (p[1] == '*' || p[1] == '%')
					p++;
				match_step('*', name, len, delim, row);
				continue;
			}
			continue; /* "%%" is "%" */
		}
		match_step(*p, name, len, delim, row);
	}
	match = row[len] != 0;
	if (row != stack_row)
		free(row);
	return match;
}
