/* The header part of DKIM's data to sign (RFC 6376 3.7, 5.4.2): header fields picked by
 * name from the bottom up, oversigned (absent) names contributing nothing, then the
 * DKIM-Signature field itself with its b= value emptied. Shared by signer and verifier. */
#ifndef MAILAUTH_DKIM_HEADERS_H
#define MAILAUTH_DKIM_HEADERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailauth/dkim_sig.h"
#include "util/buf.h"

struct dkim_field {
	const char *raw; /* the whole field, final CRLF included */
	size_t raw_len;
	const char *name; /* without the WSP before ':' */
	size_t name_len;
	const char *value; /* after ':' (folded, without the final CRLF) */
	size_t value_len;
	uint32_t hash; /* of the lower-cased name: dkim_name_hash() */
};

struct dkim_fields {
	struct dkim_field *f;
	size_t count;
};

/* Splits a header block (up to, optionally including, the empty line) into fields; lines
 * without ':' are skipped. Pointers point into hdr. */
void dkim_fields_parse(struct dkim_fields *fs, const char *hdr, size_t len);
void dkim_fields_free(struct dkim_fields *fs);
bool dkim_field_is(const struct dkim_field *f, const char *name);
/* FNV-1a of the ASCII-lower-cased name. */
uint32_t dkim_name_hash(const char *name, size_t len);

/* Appends the canonical fields named in names[0..n) (lower-case), each name taking the last
 * field of that name not taken yet (RFC 6376 5.4.2). Field self (SIZE_MAX: none) is never
 * taken. One pass over the fields: O(fields + n), whatever h= lists. */
void dkim_headers_select(struct buf *out, enum dkim_canon c, const struct dkim_fields *fs,
			 char *const *names, size_t n, size_t self);

/* Appends the canonical form of a DKIM-Signature field (raw, as in the message) with the
 * value of its b= tag, whitespace included, removed, and without the final CRLF (RFC 6376
 * 3.7). -1 if the field has no parsable b= tag. */
int dkim_headers_sig_field(struct buf *out, enum dkim_canon c, const char *raw, size_t len);

#endif
