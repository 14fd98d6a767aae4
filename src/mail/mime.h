/* The MIME part tree of an in-memory message (RFC 2045, 2046): for each part the
 * offsets and sizes of its header and body, line counts, and its Content-* fields;
 * multiparts with their parts, message/rfc822 with the encapsulated message and its
 * envelope fields. Built in one pass over the message, robust on bad MIME: a missing
 * or unmatched boundary, unterminated parts, absurd nesting (capped), 8-bit junk. */
#ifndef MAIL_MIME_H
#define MAIL_MIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define MIME_MAX_DEPTH 64    /* nesting past this is not parsed: the part stays opaque */
#define MIME_MAX_PARTS 10000 /* past this, boundaries are no longer recognised */
#define MIME_NONE UINT32_MAX

enum mime_encoding {
	MIME_ENC_7BIT,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UNKNOWN, /* an unknown token (x-uuencode...): treat the body as raw */
};

enum mime_part_flag {
	MIME_PART_MULTIPART = 1 << 0, /* multipart with a boundary: children are its parts */
	MIME_PART_MESSAGE = 1 << 1,   /* message/rfc822: one child, the encapsulated message */
	MIME_PART_TEXT = 1 << 2,      /* text/ (also when Content-Type is missing or bad) */
	MIME_PART_OPAQUE = 1 << 3,    /* a multipart or message left unparsed (no boundary,
					 too deep, base64): shown as application/octet-stream */
	MIME_PART_MSGROOT = 1 << 4,   /* the header is an RFC 5322 message header: env is set */
};

/* A string in tree->strings: unfolded, NUL-terminated. off == MIME_NONE: absent. */
struct mime_str {
	uint32_t off;
	uint32_t len;
};

struct mime_param {
	struct mime_str name; /* lower/upper case as written; RFC 2231 continuations merged */
	struct mime_str value;
};

enum mime_env_field {
	MIME_ENV_DATE,
	MIME_ENV_SUBJECT,
	MIME_ENV_FROM,
	MIME_ENV_SENDER,
	MIME_ENV_REPLY_TO,
	MIME_ENV_TO,
	MIME_ENV_CC,
	MIME_ENV_BCC,
	MIME_ENV_IN_REPLY_TO,
	MIME_ENV_MESSAGE_ID,
	MIME_ENV_COUNT
};

struct mime_part {
	uint32_t parent, first_child, next; /* indexes into tree->parts, MIME_NONE */
	uint32_t nchildren;
	uint32_t depth;   /* 0 for the root */
	unsigned flags;   /* enum mime_part_flag */
	size_t hdr_off;   /* the part's header starts here... */
	size_t hdr_size;  /* ...and includes the empty line; the body follows it */
	size_t body_size; /* excludes the CRLF before a boundary line (RFC 2046 5.1.1) */
	size_t body_lines;
	struct mime_str type, subtype; /* as written; absent when no valid Content-Type */
	uint32_t params, nparams;      /* Content-Type parameters in tree->params */
	struct mime_str id, description, md5, location;
	struct mime_str encoding; /* the Content-Transfer-Encoding token as written */
	enum mime_encoding enc;
	struct mime_str disposition;
	uint32_t dparams, ndparams; /* Content-Disposition parameters in tree->params */
	uint32_t langs, nlangs;     /* Content-Language tags: tree->params values */
	struct mime_str charset;    /* the charset parameter, absent if none */
	struct mime_str boundary;
	struct mime_str env[MIME_ENV_COUNT]; /* raw unfolded values, for MSGROOT parts */
};

struct mime_tree {
	const char *msg;
	size_t len;
	struct mime_part *parts; /* parts[0] is the message itself; pre-order */
	size_t nparts, parts_cap;
	struct mime_param *params;
	size_t nparams, params_cap;
	struct buf strings;
};

/* Parses msg (CRLF or LF line ends). Never fails. msg must outlive the tree. */
void mime_tree_parse(struct mime_tree *t, const char *msg, size_t len);
void mime_tree_free(struct mime_tree *t);

/* The string, or NULL when absent. */
const char *mime_tree_str(const struct mime_tree *t, struct mime_str s);
static inline bool
mime_str_present(struct mime_str s)
{
	return s.off != MIME_NONE;
}
static inline size_t
mime_part_body_off(const struct mime_part *p)
{
	return p->hdr_off + p->hdr_size;
}

/* Fills the Content-* fields (and env[] when the part is a message root) of part from
 * its header block. Used by mime_tree_parse; exposed for tests. */
void mime_header_parse(struct mime_tree *t, struct mime_part *part, const char *hdr, size_t len);
/* Adds a string to t->strings (unfolded when unfold is true). */
struct mime_str mime_tree_add_str(struct mime_tree *t, const char *s, size_t len, bool unfold);

#endif
