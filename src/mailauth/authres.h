/* Authentication-Results (RFC 8601): building our own header field, reading the authserv-id
 * of an existing one, and removing every incoming field that claims to be ours (RFC 8601 5),
 * so that nobody upstream can forge our verdict. Pure functions over byte ranges. */
#ifndef MAILAUTH_AUTHRES_H
#define MAILAUTH_AUTHRES_H
#include <stdbool.h>
#include <stddef.h>

#include "mail/rfc5322.h"
#include "util/buf.h"

/* Lines of the built field are folded before they pass this many characters (RFC 5322 2.1.1);
 * one element longer than a line (a very long quoted value) stays on a line of its own. */
#define AUTHRES_LINE_MAX 78
/* header.b= carries this many leading characters of the signature's b= (RFC 6008 4). */
#define AUTHRES_B_PREFIX 8

/* ---- building (RFC 8601 2.2) ---- */

/* Usage:
 *	struct authres_builder b;
 *	authres_begin(&b, &out, myhostname, 0);
 *	authres_method(&b, "spf", "pass");
 *	authres_prop(&b, "smtp", "mailfrom", "user@example.net");
 *	authres_method(&b, "dkim", "fail");
 *	authres_reason(&b, "signature did not verify");
 *	authres_prop(&b, "header", "d", "example.net"); ...  authres_prop_b(&b, b_value);
 *	authres_end(&b);      // "; none" when no method was added, then CRLF
 * appends "Authentication-Results: <id>; spf=pass smtp.mailfrom=...\r\n\t..." to out.
 * method, result, ptype and property must be RFC 8601 keywords (caller's constants: letters,
 * digits, '-', '_', '.'); every other text may be anything: values are written as an RFC 2045
 * token when they are one (pvalues also as local-part@domain), else as a quoted-string, with
 * CR, LF, NUL and other controls replaced by '?'. */
struct authres_builder {
	struct buf *out;
	size_t col;     /* characters on the current line */
	size_t methods; /* methods added so far */
};

/* version 0: none is written (it is optional; 1 is the only one defined, RFC 8601 2.2). */
void authres_begin(struct authres_builder *b, struct buf *out, const char *authserv_id,
		   unsigned version);
/* "; method=result" */
void authres_method(struct authres_builder *b, const char *method, const char *result);
/* " reason=value" after the method (at most one per method, RFC 8601 2.2) */
void authres_reason(struct authres_builder *b, const char *reason);
/* " (text)": a comment, parentheses and backslashes in text escaped */
void authres_comment(struct authres_builder *b, const char *text);
/* " ptype.property=value", e.g. ("smtp", "mailfrom", ...), ("header", "d", ...),
 * ("policy", "dmarc", ...). An empty value is written as "" . */
void authres_prop(struct authres_builder *b, const char *ptype, const char *property,
		  const char *value);
/* " header.b=" the first AUTHRES_B_PREFIX characters of a DKIM b= value (its FWS removed) */
void authres_prop_b(struct authres_builder *b, const char *b_value);
/* "; none" if no method was added (RFC 8601 2.2 no-result), then the final CRLF. */
void authres_end(struct authres_builder *b);

/* Mail that yubin does not check because it is ours (RFC 8601 2.7.4 and 2.2):
 * authenticated submission gets "<id>; auth=pass (not checked: authenticated submission)
 * smtp.auth=<user>", mynetworks gets "<id>; none (not checked: mynetworks)". */
void authres_not_checked_submission(struct buf *out, const char *authserv_id, const char *user);
void authres_not_checked_mynetworks(struct buf *out, const char *authserv_id);

/* Appends v as an RFC 2045 value: itself if it is a token, else a quoted-string. */
void authres_append_value(struct buf *out, const char *v, size_t len);

/* ---- reading ---- */

enum authres_id_status {
	AUTHRES_ID_NONE,      /* no authserv-id at all (empty, or starts with a special) */
	AUTHRES_ID_OK,        /* authserv-id [version] then ';' as RFC 8601 2.2 says */
	AUTHRES_ID_MALFORMED, /* a leading token / quoted-string, but what follows is not
				 [CFWS version] [CFWS] ";": id holds that first token */
};

/* Reads the authserv-id of an Authentication-Results field value [v, v+len) (still folded:
 * CFWS and comments around it are skipped; a quoted-string is unquoted). Clears id and
 * appends the id to it (also for MALFORMED: the first token). */
enum authres_id_status authres_parse_id(const char *v, size_t len, struct buf *id);

/* Whether authserv-id a names our_id: ASCII case-insensitive (RFC 8601 5), one trailing dot
 * of either ignored. */
bool authres_id_equal(const char *a, size_t a_len, const char *our_id);

/* Whether field f is an Authentication-Results field that claims to be ours: its id
 * (parsed, or the first token of an unparseable one) equals our_id. */
bool authres_field_is_ours(const struct rfc5322_field *f, const char *our_id);

/* Fills fields[0..max) with the Authentication-Results fields of the header block
 * [hdr, hdr+len) that claim to be ours, top first; returns how many there are (may be
 * more than max). */
size_t authres_find_ours(const char *hdr, size_t len, const char *our_id,
			 struct rfc5322_field *fields, size_t max);

/* Appends to out the bytes [hdr, hdr+len) without the fields that claim to be ours (the
 * rest byte-exact, including an empty line and a body after it); returns how many fields
 * were removed. */
size_t authres_strip_ours(const char *hdr, size_t len, const char *our_id, struct buf *out);

#endif
