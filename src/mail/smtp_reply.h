/* Parser for SMTP server replies (RFC 5321 4.2, 4.2.1 multiline; RFC 2034 enhanced status
 * codes), used by the outbound client and by tests. Pure. */
#ifndef MAIL_SMTP_REPLY_H
#define MAIL_SMTP_REPLY_H
#include <stddef.h>

#include "util/buf.h"

/* A reply line longer than this without its line end makes the reply malformed. */
#define SMTP_REPLY_LINE_MAX 4096

struct smtp_reply {
	int code;          /* 200..599 */
	char enhanced[16]; /* "2.0.0" or "" when the first line carries none */
	/* The lines' texts, without code, separator and (when present on that line) the same
	 * enhanced code, joined with "\n" (no trailing "\n"). */
	struct buf text;
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);
/* Parses one reply from the start of data. Returns 1 when complete (*consumed_r = bytes of
 * the reply including its last line end; the rest is the next reply), 0 when more data is
 * needed (call again with the same bytes plus more: parsing restarts from data), -1 when
 * malformed (bad code, lines with different codes, a line over SMTP_REPLY_LINE_MAX, NUL).
 * Lines end in CRLF; a bare LF is tolerated. r is reset at each call. */
int smtp_reply_parse(const char *data, size_t len, struct smtp_reply *r, size_t *consumed_r);

#endif
