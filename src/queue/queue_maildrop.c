/* Maildrop file format (see queue_maildrop.h): writing the envelope, parsing a file. */
#include "queue/queue_maildrop.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

/* Bounds that keep a hostile file from costing much: RFC 5321 4.5.3.1.3 path length. */
#define MAILDROP_ADDR_MAX 256
#define MAILDROP_RCPTS_MAX 10000

void
queue_maildrop_format(struct buf *out, const char *sender, const char *const *rcpts)
{
	size_t i;

	buf_appends(out, QUEUE_MAILDROP_MAGIC);
	buf_printf(out, "F %s\n", sender);
	for (i = 0; rcpts[i] != NULL; i++)
		buf_printf(out, "R %s\n", rcpts[i]);
	buf_appendc(out, '\n');
}

void
queue_maildrop_clear(struct queue_maildrop *md)
{
	free(md->sender);
	str_array_free(&md->rcpts);
	memset(md, 0, sizeof(*md));
}

static int
maildrop_line_ok(const char *p, size_t len)
{
	size_t i;

	if (len > MAILDROP_ADDR_MAX + 2)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
queue_maildrop_parse(const char *data, size_t len, struct queue_maildrop *md, const char **error_r)
{
	size_t magic = strlen(QUEUE_MAILDROP_MAGIC), n = 0, cap = 0;
	const char *p = data + magic, *end = data + len;

	memset(md, 0, sizeof(*md));
	if (len < magic || memcmp(data, QUEUE_MAILDROP_MAGIC, magic) != 0) {
		*error_r = "not a maildrop file";
		return -1;
	}
	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll;

		if (eol == NULL) {
			*error_r = "truncated envelope";
			break;
		}
		ll = (size_t)(eol - p);
		if (ll == 0) {
			if (md->sender == NULL || n == 0) {
				*error_r = md->sender == NULL ? "no sender" : "no recipients";
				break;
			}
			md->msg = eol + 1;
			md->msg_len = (size_t)(end - md->msg);
			return 0;
		}
		if (ll < 2 || p[1] != ' ' || !maildrop_line_ok(p, ll)) {
			*error_r = "malformed envelope line";
			break;
		}
		if (p[0] == 'F' && md->sender == NULL) {
			md->sender = xstrndup(p + 2, ll - 2);
		} else if (p[0] == 'R' && ll > 2 && n < MAILDROP_RCPTS_MAX) {
			md->rcpts = xgrow(md->rcpts, &cap, n + 2, sizeof(*md->rcpts));
			md->rcpts[n++] = xstrndup(p + 2, ll - 2);
			md->rcpts[n] = NULL;
		} else {
			*error_r = "unexpected envelope line";
			break;
		}
		p = eol + 1;
	}
	queue_maildrop_clear(md);
	return -1;
}

void
queue_maildrop_crlf(struct buf *out, const char *msg, size_t len)
{
	size_t i, start = 0;

	buf_reserve(out, len + len / 32 + 2);
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n') {
			i++;
			continue;
		}
		if (msg[i] != '\r' && msg[i] != '\n')
			continue;
		/* a bare CR or LF: copy up to it, then a CRLF instead */
		buf_append(out, msg + start, i - start);
		buf_append(out, "\r\n", 2);
		start = i + 1;
	}
	buf_append(out, msg + start, len - start);
}
