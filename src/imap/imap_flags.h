/* IMAP message flags (RFC 3501 2.3.2): the system flags as bits, keywords as atoms, and
 * the parsing of flag lists from STORE and APPEND. */
#ifndef IMAP_IMAP_FLAGS_H
#define IMAP_IMAP_FLAGS_H
#include <stdbool.h>
#include <stddef.h>

struct imap_arg;

enum imap_flag {
	IMAP_FLAG_ANSWERED = 0x01,
	IMAP_FLAG_FLAGGED = 0x02,
	IMAP_FLAG_DELETED = 0x04,
	IMAP_FLAG_SEEN = 0x08,
	IMAP_FLAG_DRAFT = 0x10,
	IMAP_FLAG_RECENT = 0x20, /* session flag: never stored by a client (RFC 3501 2.3.2) */
};
#define IMAP_FLAG_COUNT 6

/* The name of one flag bit ("\\Seen"), NULL for anything else. */
const char *imap_flag_name(unsigned flag);
/* A system flag by name, case-insensitive ("\\seen" -> IMAP_FLAG_SEEN); 0 if none. */
unsigned imap_flag_from_name(const char *name);
/* A keyword (RFC 3501 9 flag-keyword = atom): 1*ATOM-CHAR, no "\\", at most 100 bytes. */
bool imap_keyword_is_valid(const char *kw);

struct imap_flag_list {
	unsigned flags;  /* IMAP_FLAG_* bits (never RECENT) */
	char **keywords; /* malloc'ed, de-duplicated case-insensitively, NULL-terminated */
	size_t n_keywords;
};

/* Parses a flag list: either one LIST argument "(\Seen kw)" or, for STORE, the flags given
 * as bare atoms (args/count are the remaining arguments). \Recent and unknown system
 * flags (\Foo) are errors; 0 ok, -1 with *error_r. */
int imap_flags_parse(const struct imap_arg *args, size_t count, struct imap_flag_list *out,
		     const char **error_r);
void imap_flag_list_free(struct imap_flag_list *list);

#endif
