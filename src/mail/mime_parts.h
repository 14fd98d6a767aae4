/* The MIME part tree in the compact form the store keeps in its index (msg_summary's
 * parts blob), and IMAP section lookups on it (RFC 3501 6.4.5 BODY[section]): given a
 * section spec such as "1.2.HEADER", "3.MIME", "2.TEXT" or "HEADER.FIELDS (From To)",
 * the byte range of the raw message to send, without re-parsing the message. */
#ifndef MAIL_MIME_PARTS_H
#define MAIL_MIME_PARTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mime.h"
#include "util/buf.h"

/* Appends the serialized form of the tree (a few bytes per part). */
void mime_parts_serialize(struct buf *out, const struct mime_tree *t);

struct mime_part_info {
	unsigned flags;                     /* enum mime_part_flag */
	uint32_t parent, first_child, next; /* indexes, MIME_NONE */
	uint32_t nchildren;
	uint64_t hdr_off, hdr_size; /* body_off = hdr_off + hdr_size */
	uint64_t body_size, body_lines;
	enum mime_encoding enc;
	char type[32], subtype[64]; /* as written, "" when absent (or too long) */
	char charset[64];           /* "" when absent (or too long) */
};

struct mime_parts {
	struct mime_part_info *parts; /* parts[0] is the message; pre-order */
	size_t count;
};

/* 0 ok, -1 for a blob that is not a valid serialization. */
int mime_parts_decode(const void *blob, size_t len, struct mime_parts *out);
void mime_parts_free(struct mime_parts *p);

/* ---- IMAP sections ---- */

enum mime_section_kind {
	MIME_SECTION_BODY,   /* [] whole message, or [1.2] the part's body */
	MIME_SECTION_HEADER, /* [HEADER], [2.HEADER] */
	MIME_SECTION_HEADER_FIELDS,
	MIME_SECTION_HEADER_FIELDS_NOT,
	MIME_SECTION_TEXT, /* [TEXT], [2.TEXT] */
	MIME_SECTION_MIME, /* [1.MIME]: the part's own MIME header */
};

#define MIME_SECTION_MAX_PATH (MIME_MAX_DEPTH + 2)

struct mime_section_spec {
	uint32_t path[MIME_SECTION_MAX_PATH];
	size_t path_len;
	enum mime_section_kind kind;
	char **fields; /* HEADER.FIELDS names, owned */
	size_t nfields;
};

/* Parses the text between the brackets of BODY[...] (RFC 3501 9: section-spec), e.g.
 * "1.2.HEADER.FIELDS.NOT (Subject \"X-Y\")". Keywords are case-insensitive. 0 ok, -1
 * with *error_r (static text) for a syntax error. Free with mime_section_spec_free(). */
int mime_section_parse(const char *s, size_t len, struct mime_section_spec *spec,
		       const char **error_r);
void mime_section_spec_free(struct mime_section_spec *spec);

struct mime_section_range {
	uint64_t offset; /* in the raw message */
	uint64_t size;
	bool filter; /* HEADER.FIELDS[.NOT]: the range is the header; pass its bytes
			through rfc5322_header_filter() with the spec's fields */
};

/* Finds the range of spec in the message. 0 ok, -1 when the part does not exist (or
 * HEADER/TEXT names a part that is not a message/rfc822): IMAP sends an empty string. */
int mime_section_find(const struct mime_parts *parts, const struct mime_section_spec *spec,
		      struct mime_section_range *r);

/* The index in parts->parts of the part spec's path names (0, the message, for an empty
 * path), MIME_NONE when there is no such part. */
uint32_t mime_section_part(const struct mime_parts *parts, const struct mime_section_spec *spec);

/* Convenience for a message in memory: appends the section's bytes (filtered for
 * HEADER.FIELDS) to out. 0 ok, -1 no such part (nothing appended). */
int mime_section_extract(const struct mime_parts *parts, const struct mime_section_spec *spec,
			 const char *msg, size_t len, struct buf *out);

#endif
