/* RFC 5322 message headers: iterating header fields (with folding), finding fields,
 * unfolding values, filtering for IMAP HEADER.FIELDS; address lists (with groups and
 * display names), dates (tolerant parse, Date:/Received: formatting) and CFWS. Pure
 * functions over byte ranges that need not be NUL-terminated. */
#ifndef MAIL_RFC5322_H
#define MAIL_RFC5322_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* ---- lexical ---- */

/* Skips CFWS (RFC 5322 3.2.2) at p: WSP, CR, LF and comments, which nest and may hold
 * quoted-pairs; an unclosed comment runs to end. Returns where the CFWS ends (<= end). */
const char *rfc5322_skip_cfws(const char *p, const char *end);

/* ---- header fields ---- */

struct rfc5322_field {
	const char *name; /* field name, trailing WSP before ':' removed */
	size_t name_len;
	const char *value; /* raw value after ':', still folded, CRLF of the last line excluded */
	size_t value_len;
	const char *raw; /* the whole field, all its lines, including the final line end */
	size_t raw_len;
	bool has_colon; /* false for a junk line without ':' (name is then the whole line) */
};

struct rfc5322_header_iter {
	const char *p;
	const char *end;
};

/* Returns the size of the header that starts at msg: up to and including the empty line
 * (CRLF or bare LF) that ends it, or len when there is no empty line (header-only
 * message). That is also where the body starts. */
size_t rfc5322_header_size(const char *msg, size_t len);

/* Iterates the fields of a header block [hdr, hdr+len). Stops at the empty line that ends
 * the header (if the block contains one) or at the end. */
void rfc5322_header_iter_init(struct rfc5322_header_iter *it, const char *hdr, size_t len);
/* 1 and fills *f with the next field, 0 at the end. */
bool rfc5322_header_iter_next(struct rfc5322_header_iter *it, struct rfc5322_field *f);

/* Counts the fields named name (ASCII case-insensitive) in the header of msg (up to the
 * first empty line); e.g. Received: for loop detection (RFC 5321 6.3). */
size_t rfc5322_count_fields(const char *msg, size_t len, const char *name);

/* Finds the first field named name (ASCII case-insensitive). true if found. */
bool rfc5322_header_find(const char *hdr, size_t len, const char *name, struct rfc5322_field *f);

/* Appends the unfolded value (RFC 5322 2.2.3): line ends removed, leading and trailing
 * WSP trimmed, NUL bytes replaced by '?'. */
void rfc5322_unfold(struct buf *out, const char *value, size_t len);

/* IMAP HEADER.FIELDS / HEADER.FIELDS.NOT (RFC 3501 6.4.5): appends to out the fields of
 * the header block whose names are (not) in names[0..n) (case-insensitive), byte-exact,
 * then the empty line "\r\n" that ends a header. */
void rfc5322_header_filter(const char *hdr, size_t len, const char *const *names, size_t n,
			   bool not, struct buf *out);

/* ---- address lists (RFC 5322 3.4, with obs-route and groups) ---- */

struct rfc5322_addr {
	const char *name;    /* display name (quotes removed, FWS collapsed; encoded words kept
				raw) or the comment of a bare addr-spec; NULL if none */
	const char *route;   /* obs-route "@a,@b" (without ':'), NULL if none */
	const char *mailbox; /* local part (quoted local parts keep their quotes);
				for a group start: the group name; NULL at a group end */
	const char *domain;  /* "" when the address has no '@'; NULL at group start/end */
	bool group_start;    /* IMAP: (NIL NIL "name" NIL) */
	bool group_end;      /* IMAP: (NIL NIL NIL NIL) */
};

struct rfc5322_addr_list {
	struct rfc5322_addr *addrs;
	size_t count;
	size_t cap;
	struct buf text; /* owns the strings */
};

/* Parses an (unfolded or folded) address-list value, leniently: it never fails, junk
 * is skipped. At most 10,000 addresses are kept. Free with rfc5322_addr_list_free(). */
void rfc5322_addr_list_parse(const char *value, size_t len, struct rfc5322_addr_list *out);
void rfc5322_addr_list_free(struct rfc5322_addr_list *l);
/* Number of real addresses (group markers not counted). */
size_t rfc5322_addr_list_real_count(const struct rfc5322_addr_list *l);

/* ---- dates (RFC 5322 3.3 and 4.3) ---- */

/* Parses a Date: value leniently: optional day name, 2- and 3-digit years (4.3),
 * obsolete zone names (UT, GMT, EST..PDT; military letters as -0000), missing seconds,
 * missing zone (taken as +0000), "dd-Mon-yyyy" forms, trailing comments or junk.
 * 0 ok with *t_r = UTC seconds and *tz_r = offset east of UTC in seconds; -1 bad. */
int rfc5322_date_parse(const char *s, size_t len, time_t *t_r, long *tz_r);

#define RFC5322_DATE_MAX 40
/* "Thu, 15 Feb 2007 01:02:03 +0200" (RFC 5322 3.3) in zone tz (seconds east). */
void rfc5322_date_format(time_t t, long tz, char out[RFC5322_DATE_MAX]);

#endif
