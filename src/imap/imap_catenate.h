/* CATENATE (RFC 4469) for APPEND (internal to src/imap): the IMAP URLs a client names
 * parts of its own messages with (RFC 5092, in the forms RFC 4469 5 allows: an absolute
 * "imap://..." URL or a path "/mailbox;uidvalidity=n/;uid=n/;section=x/;partial=o.l"),
 * and the APPEND argument list of one or more messages (RFC 3502 MULTIAPPEND), each a
 * literal or "CATENATE (TEXT literal / URL url ...)". Pure parsers: no I/O. */
#ifndef IMAP_IMAP_CATENATE_H
#define IMAP_IMAP_CATENATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap/imap_flags.h"
#include "imap/imap_parser.h"
#include "mail/imap_url.h"

/* The URL parser is mail/imap_url.h (shared with URLAUTH and BURL). */

enum imap_cat_part_type {
	IMAP_CAT_TEXT,
	IMAP_CAT_URL,
};

struct imap_cat_part {
	enum imap_cat_part_type type;
	const struct imap_arg *arg; /* TEXT: the literal; URL: the astring */
};

/* One message of an APPEND (RFC 3502 append-message, RFC 4469 append-data). */
struct imap_append_msg {
	struct imap_flag_list flags;
	time_t date; /* 0: not given */
	long tz;     /* the date's zone, seconds east of UTC */
	bool has_date;
	const struct imap_arg *literal; /* a plain message; NULL with CATENATE */
	struct imap_cat_part *parts;    /* CATENATE */
	size_t n_parts;
};

/* Parses args[1..count) of APPEND (args[0] is the mailbox) into *msgs_r (*n_r >= 1).
 * 0 ok; -1 with *error_r (a syntax error: BAD). The parts point into args. */
int imap_append_args_parse(const struct imap_arg *args, size_t count,
			   struct imap_append_msg **msgs_r, size_t *n_r, const char **error_r);
void imap_append_msgs_free(struct imap_append_msg *msgs, size_t n);

/* imap_catenate_fetch.c (not pure): appends the bytes url names (a message, a section,
 * a partial range of it) of the session's account to out. 0 ok; -1 (nothing appended)
 * when the URL is invalid or names nothing that exists: NO [BADURL url] (RFC 4469 6). */
struct buf;
struct imap_session;
int imap_catenate_url_fetch(struct imap_session *s, const char *url, size_t len, struct buf *out);

#endif
