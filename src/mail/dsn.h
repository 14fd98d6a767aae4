/* Delivery status notifications (RFC 3464): the bounce message sent to the envelope sender
 * when delivery failed, as multipart/report; report-type=delivery-status (RFC 6522) with a
 * human-readable part, the machine-readable delivery-status part and the original
 * message's header (text/rfc822-headers). Pure formatting. */
#ifndef MAIL_DSN_H
#define MAIL_DSN_H
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

struct dsn_rcpt {
	const char *address;    /* the failed recipient */
	const char *status;     /* RFC 3463 enhanced code, "5.1.1" */
	const char *remote_mta; /* host that gave the reply, or NULL */
	const char *diagnostic; /* the SMTP reply ("550 5.1.1 no such user") or our own text */
};

struct dsn_info {
	const char *reporting_mta; /* our myhostname */
	const char *qid;           /* the failed message's queue id */
	const char *sender;        /* its envelope sender: the DSN's To: */
	time_t arrival;            /* when it was queued */
	time_t now;                /* the DSN's Date: and Last-Attempt-Date: */
	long tz;                   /* zone of the dates, seconds east of UTC */
	const char *msg;           /* the failed message (its header is returned) */
	size_t msg_len;
	const struct dsn_rcpt *rcpts;
	size_t n_rcpts;
};

/* Appends the complete DSN message (header and body, CRLF line ends) to out. Its envelope
 * must be sent with the null sender "<>" (RFC 3464 2; RFC 5321 4.5.5) so that a DSN is
 * never answered by another. Deterministic for given info (boundary and Message-ID are
 * built from qid, now and reporting_mta). */
void dsn_format(struct buf *out, const struct dsn_info *info);

#endif
