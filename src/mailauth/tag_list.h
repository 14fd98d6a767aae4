/* Tag=value lists (RFC 6376 3.2): the syntax of DKIM-Signature header fields, DKIM key
 * records, and, with the same grammar, DMARC records (RFC 7489 6.4) and ARC headers
 * (RFC 8617 4.1). A pure parser over a byte range that need not be NUL-terminated: tags
 * point into the input, nothing is copied or allocated. */
#ifndef MAILAUTH_TAG_LIST_H
#define MAILAUTH_TAG_LIST_H
#include <stdbool.h>
#include <stddef.h>

/* No sane record has more tags; a longer list is an error, not a reason to allocate. */
#define TAG_LIST_MAX 64

struct tag {
	const char *name; /* tag-name = ALPHA *ALNUMPUNC */
	size_t name_len;
	const char *value; /* tag-value without the FWS around it (may contain inner FWS) */
	size_t value_len;
	const char *raw; /* everything between '=' and the ';' (or the end), FWS included:
			    what RFC 6376 3.7 empties for b= */
	size_t raw_len;
};

struct tag_list {
	struct tag tags[TAG_LIST_MAX];
	size_t count;
};

/* Parses [s, s+len). 0 ok, -1 on a syntax error (a bad name, a missing '=', a character
 * outside tval, a duplicate tag: RFC 6376 3.2 "Tags with duplicate names MUST NOT occur")
 * with *error_r set to a static text. A trailing ';' is allowed, an empty list too. */
int tag_list_parse(struct tag_list *tl, const char *s, size_t len, const char **error_r);

/* The tag named name (case-sensitive, RFC 6376 3.2), or NULL. */
const struct tag *tag_list_get(const struct tag_list *tl, const char *name);

/* true if the tag's value equals v exactly (case-sensitive) / ignoring ASCII case. */
bool tag_value_is(const struct tag *t, const char *v);
bool tag_value_is_ci(const struct tag *t, const char *v);

/* Calls cb for each element of a colon-separated value ("a : b:c", RFC 6376 3.5 h=,
 * 3.6.1 h=/s=/t=), with the FWS around each element removed. Stops early and returns -1
 * when cb returns -1, else 0. An empty element is passed as a zero-length string. */
int tag_value_split(const char *v, size_t len, char sep,
		    int (*cb)(const char *item, size_t len, void *ctx), void *ctx);

#endif
