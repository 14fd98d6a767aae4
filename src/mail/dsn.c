/* DSN formatting (see dsn.h): RFC 3464 per-message and per-recipient fields, RFC 6522
 * multipart/report, RFC 3834 Auto-Submitted. */
#include "mail/dsn.h"

#include <string.h>

#include "mail/rfc5322.h"

/* A field value on one line: controls (CR, LF, TAB...) become spaces. */
static void
dsn_append_clean(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		buf_appendc(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void
dsn_header(struct buf *out, const struct dsn_info *info, const char *boundary)
{
	char date[RFC5322_DATE_MAX];

	rfc5322_date_format(info->now, info->tz, date);
	buf_printf(out, "From: MAILER-DAEMON@%s (Mail Delivery System)\r\n", info->reporting_mta);
	buf_printf(out, "To: <%s>\r\n", info->sender);
	buf_appends(out, "Subject: Undelivered Mail Returned to Sender\r\n");
	buf_printf(out, "Date: %s\r\n", date);
	buf_printf(out, "Message-ID: <%s.%lld.dsn@%s>\r\n", info->qid, (long long)info->now,
		   info->reporting_mta);
	/* RFC 3834 5: automatic responses are marked, so that they are not answered */
	buf_appends(out, "Auto-Submitted: auto-replied\r\n");
	buf_appends(out, "MIME-Version: 1.0\r\n");
	/* RFC 6522 3 */
	buf_printf(out,
		   "Content-Type: multipart/report; report-type=delivery-status;\r\n"
		   "\tboundary=\"%s\"\r\n",
		   boundary);
	buf_appends(out, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");
}

static void
dsn_human_part(struct buf *out, const struct dsn_info *info, const char *boundary)
{
	size_t i;

	buf_printf(out, "--%s\r\n", boundary);
	buf_appends(out, "Content-Description: Notification\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	buf_printf(out, "This is the mail system at host %s.\r\n\r\n", info->reporting_mta);
	buf_appends(out, "I'm sorry to have to inform you that your message could not\r\n"
			 "be delivered to one or more recipients. It's attached below.\r\n\r\n"
			 "The mail system\r\n\r\n");
	for (i = 0; i < info->n_rcpts; i++) {
		const struct dsn_rcpt *r = &info->rcpts[i];
		buf_appends(out, "<");
		dsn_append_clean(out, r->address);
		buf_appends(out, ">: ");
		if (r->remote_mta != NULL) {
			buf_appends(out, "host ");
			dsn_append_clean(out, r->remote_mta);
			buf_appends(out, " said: ");
		}
		dsn_append_clean(out, r->diagnostic != NULL ? r->diagnostic : "delivery failed");
		buf_appends(out, "\r\n\r\n");
	}
}

/* RFC 3464 2.2 per-message fields and 2.3 per-recipient fields. */
static void
dsn_status_part(struct buf *out, const struct dsn_info *info, const char *boundary)
{
	char date[RFC5322_DATE_MAX];
	size_t i;

	buf_printf(out, "--%s\r\n", boundary);
	buf_appends(out, "Content-Description: Delivery report\r\n"
			 "Content-Type: message/delivery-status\r\n\r\n");
	buf_printf(out, "Reporting-MTA: dns; %s\r\n", info->reporting_mta);
	buf_printf(out, "X-Yubin-Queue-ID: %s\r\n", info->qid);
	rfc5322_date_format(info->arrival, info->tz, date);
	buf_printf(out, "Arrival-Date: %s\r\n", date);
	rfc5322_date_format(info->now, info->tz, date);
	for (i = 0; i < info->n_rcpts; i++) {
		const struct dsn_rcpt *r = &info->rcpts[i];
		buf_appends(out, "\r\nFinal-Recipient: rfc822; ");
		dsn_append_clean(out, r->address);
		buf_appends(out, "\r\nAction: failed\r\nStatus: ");
		dsn_append_clean(out, r->status != NULL ? r->status : "5.0.0");
		buf_appends(out, "\r\n");
		if (r->remote_mta != NULL) {
			buf_appends(out, "Remote-MTA: dns; ");
			dsn_append_clean(out, r->remote_mta);
			buf_appends(out, "\r\n");
		}
		if (r->diagnostic != NULL) {
			/* "smtp" when the text is a remote server's reply, else our own words */
			buf_appends(out, r->remote_mta != NULL ? "Diagnostic-Code: smtp; "
							       : "Diagnostic-Code: X-Yubin; ");
			dsn_append_clean(out, r->diagnostic);
			buf_appends(out, "\r\n");
		}
		buf_printf(out, "Last-Attempt-Date: %s\r\n", date);
	}
	buf_appends(out, "\r\n");
}

/* RFC 6522 3: the third part returns the original message's header. */
static void
dsn_headers_part(struct buf *out, const struct dsn_info *info, const char *boundary)
{
	size_t hsize = rfc5322_header_size(info->msg, info->msg_len);

	buf_printf(out, "--%s\r\n", boundary);
	buf_appends(out, "Content-Description: Undelivered Message Headers\r\n"
			 "Content-Type: text/rfc822-headers\r\n\r\n");
	buf_append(out, info->msg, hsize);
	if (hsize == 0 || info->msg[hsize - 1] != '\n')
		buf_appends(out, "\r\n");
	buf_printf(out, "\r\n--%s--\r\n", boundary);
}

void
dsn_format(struct buf *out, const struct dsn_info *info)
{
	struct buf boundary = BUF_INIT;

	buf_printf(&boundary, "%s.%lld/%s", info->qid, (long long)info->now, info->reporting_mta);
	dsn_header(out, info, buf_cstr(&boundary));
	dsn_human_part(out, info, buf_cstr(&boundary));
	dsn_status_part(out, info, buf_cstr(&boundary));
	dsn_headers_part(out, info, buf_cstr(&boundary));
	buf_free(&boundary);
}
