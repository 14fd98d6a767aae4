/* URLAUTH=BINARY (RFC 5524): URLFETCH's parenthesized form `(url *param)` with the
 * parameters BODY, BINARY and BODYPARTSTRUCTURE, and the metadata a URL's part gives for
 * them: its bytes as stored, its bytes with every Content-Transfer-Encoding undone, its
 * body structure. Pure functions on the message's bytes (imap_urlauth.c fetches them). */
#ifndef IMAP_IMAP_URLAUTH_EXT_H
#define IMAP_IMAP_URLAUTH_EXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parser.h"
#include "util/buf.h"

enum imap_urlfetch_want {
	IMAP_URLFETCH_EXTENDED = 1 << 0, /* the parenthesized form: metadata items answer */
	IMAP_URLFETCH_BODY = 1 << 1,
	IMAP_URLFETCH_BINARY = 1 << 2,
	IMAP_URLFETCH_BODYPARTSTRUCTURE = 1 << 3,
};

struct imap_urlfetch_arg {
	const char *url; /* points into the command's argument */
	unsigned want;   /* enum imap_urlfetch_want; 0 for a bare URL (RFC 4467) */
};

/* One URLFETCH argument: a URL (astring), or RFC 5524 3.1's list of a URL and parameters
 * (atoms, any case, each at most once; not both BODY and BINARY; a list of the URL alone
 * means BODY, as Dovecot reads it). 0 ok, -1 with *error_r (static text) for a BAD. */
int imap_urlfetch_arg_parse(const struct imap_arg *arg, struct imap_urlfetch_arg *out,
			    const char **error_r);

struct imap_urlfetch_part {
	struct buf bodystructure; /* BODYPARTSTRUCTURE's parenthesized body, when wanted */
	struct buf data;          /* BODY's or BINARY's bytes, after ;partial= */
	bool data_nil;            /* BINARY of a part with a CTE that cannot be undone */
};

/* The metadata the URL's section (NULL: the whole message; else a part number such as
 * "1.2": a HEADER, TEXT or MIME section is refused) and partial range name in msg, for
 * want. BINARY undoes the CTE of the part, and for a message/rfc822 or multipart part of
 * every part inside it, whose Content-Transfer-Encoding field then says "binary", as
 * Dovecot does (RFC 3516 4.2 leaves such parts as they are in FETCH BINARY[]). With BINARY
 * the body structure's sizes and line counts are those of the data sent (the encodings
 * still name the stored ones, as Dovecot's do). 0 ok (free with
 * imap_urlfetch_part_free), -1 no such part or a section that is not a part. */
int imap_urlfetch_part_build(const char *msg, size_t len, const char *section, bool partial,
			     uint64_t partial_offset, uint64_t partial_len, unsigned want,
			     struct imap_urlfetch_part *out);
void imap_urlfetch_part_free(struct imap_urlfetch_part *p);

/* Appends " (BODYPARTSTRUCTURE ... BINARY {n}\r\n...)" for p: the metadata items in one
 * list, the order and shape Dovecot sends and imaptest's urlauth-binary group checks
 * (RFC 5524 5's ABNF puts each item in its own parentheses; see docs/imap.md). */
void imap_urlfetch_part_write(struct buf *out, const struct imap_urlfetch_part *p, unsigned want);

#endif
