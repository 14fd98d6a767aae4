/* LIST / LSUB mailbox name patterns (RFC 3501 6.3.8, RFC 9051 6.3.9): "*" matches zero or
 * more characters, "%" zero or more characters but the hierarchy delimiter; any other
 * byte matches itself. Pure and linear in pattern length x name length, whatever the
 * pattern: a logged-in user chooses both the pattern and the names. */
#ifndef IMAP_IMAP_LIST_MATCH_H
#define IMAP_IMAP_LIST_MATCH_H
#include <stdbool.h>

/* Whether name matches pattern, delim being the hierarchy delimiter. Time
 * O(strlen(pattern) * strlen(name)), memory O(strlen(name)). */
bool imap_list_match(const char *pattern, const char *name, char delim);

#endif
