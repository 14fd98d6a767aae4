/* libFuzzer target: the DSN generator (src/mail/dsn.c) with the inputs a bounce takes from
 * outside: the failed message (its header is returned), the envelope sender, the failed
 * recipients and the remote server's replies. The input is split at NUL bytes into
 * message, sender, then (address, status, remote MTA, diagnostic) groups. The message goes
 * through queue_maildrop_crlf() first and the sender loses its control characters, as
 * everything in the queue does (SMTP's DATA reader and MAIL parser, the pickup); recipients
 * and replies are taken raw. Checks: every line of the DSN ends in CRLF, it is a
 * multipart/report and generating it twice gives the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn.h"
#include "queue/queue_maildrop.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 42

static void
check_lines(const struct buf *b)
{
	size_t i;

	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && (i + 1 == b->len || b->data[i + 1] != '\n'))
			abort();
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
	}
	if (memmem(b->data, b->len, "multipart/report", 16) == NULL ||
	    memmem(b->data, b->len, "message/delivery-status", 23) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmalloc(size + 1), *fields[MAX_FIELDS], *p;
	struct dsn_rcpt rcpts[(MAX_FIELDS - 2) / 4];
	struct dsn_info info;
	struct buf out = BUF_INIT, again = BUF_INIT, msg = BUF_INIT;
	size_t n = 0, i, msg_len;
	char *sender = NULL;

	memcpy(in, data, size);
	in[size] = '\0';
	/* the message keeps its length (it may hold NULs up to the first one: the rest splits) */
	p = in;
	while (n < MAX_FIELDS) {
		fields[n++] = p;
		p = memchr(p, '\0', (size_t)(in + size - p));
		if (p == NULL || p == in + size)
			break;
		p++;
	}
	msg_len = strlen(fields[0]);
	memset(&info, 0, sizeof(info));
	info.reporting_mta = "mx.example.test";
	info.qid = "4ABCDEF123";
	if (n > 1) {
		size_t j = 0;
		sender = xstrdup(fields[1]);
		for (i = 0; fields[1][i] != '\0'; i++)
			if ((unsigned char)fields[1][i] >= 0x20 && fields[1][i] != 0x7f)
				sender[j++] = fields[1][i];
		sender[j] = '\0';
	}
	queue_maildrop_crlf(&msg, fields[0], msg_len);
	info.sender = sender != NULL ? sender : "sender@example.test";
	info.arrival = 1700000000;
	info.now = 1700003600;
	info.tz = n > 2 ? (long)(strlen(fields[2]) % 1440) * 60 - 43200 : 3600;
	info.msg = buf_cstr(&msg);
	info.msg_len = msg.len;
	for (i = 0; 2 + i * 4 < n && i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		size_t f = 2 + i * 4;
		rcpts[i].address = fields[f];
		rcpts[i].status = f + 1 < n ? fields[f + 1] : "5.0.0";
		rcpts[i].remote_mta = f + 2 < n && fields[f + 2][0] != '\0' ? fields[f + 2] : NULL;
		rcpts[i].diagnostic = f + 3 < n ? fields[f + 3] : "failed";
	}
	if (i == 0) {
		rcpts[0].address = "rcpt@example.test";
		rcpts[0].status = "5.1.1";
		rcpts[0].remote_mta = NULL;
		rcpts[0].diagnostic = "550 5.1.1 no such user";
		i = 1;
	}
	info.rcpts = rcpts;
	info.n_rcpts = i;
	dsn_format(&out, &info);
	check_lines(&out);
	dsn_format(&again, &info);
	if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
		abort();
	buf_free(&out);
	buf_free(&again);
	buf_free(&msg);
	free(sender);
	free(in);
	return 0;
}
