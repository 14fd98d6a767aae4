/* SMTP reply parser (RFC 5321 4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 * Reply-code [ SP textstring ] CRLF) with RFC 2034/3463 enhanced status codes. Reparses
 * from the start on each call: replies are short and a line is bounded. */
#include "mail/smtp_reply.h"

#include <string.h>

#include "util/str.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text);
}

void
smtp_reply_clear(struct smtp_reply *r)
{
	buf_free(&r->text);
	memset(r, 0, sizeof(*r));
}

static bool
smtp_reply_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463 2: status-code = class "." subject "." detail; class = "2"/"4"/"5"; subject and
 * detail 1*3digit. Returns its length when s starts with one followed by SP or the end of
 * the line (and its class matches the reply code's first digit), else 0. */
static size_t
smtp_reply_enhanced_len(const char *s, size_t len, char class)
{
	size_t i = 2, part, n;

	if (len < 5 || s[0] != class || (class != '2' && class != '4' && class != '5') ||
	    s[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && n < 3 && smtp_reply_is_digit(s[i]); n++)
			i++;
		if (n == 0)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

/* Parses one line (without its line end) into r. Returns 1 for the last line, 0 for a
 * continuation line, -1 when malformed. */
static int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len, bool first)
{
	const char *text;
	size_t tlen, elen;
	int code;

	if (len < 3 || line[0] < '2' || line[0] > '5' || !smtp_reply_is_digit(line[1]) ||
	    !smtp_reply_is_digit(line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-') ||
	    memchr(line, '\0', len) != NULL)
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (!first && code != r->code)
		return -1;
	r->code = code;
	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;
	elen = smtp_reply_enhanced_len(text, tlen, line[0]);
	if (first && elen > 0 && elen < sizeof(r->enhanced)) {
		memcpy(r->enhanced, text, elen);
		r->enhanced[elen] = '\0';
	}
	if (elen > 0 && strlen(r->enhanced) == elen && memcmp(text, r->enhanced, elen) == 0) {
		text += elen;
		tlen -= elen;
		if (tlen > 0) {
			text++; /* the SP after the code */
			tlen--;
		}
	}
	if (!first)
		buf_appendc(&r->text, '\n');
	buf_append(&r->text, text, tlen);
	return len == 3 || line[3] == ' ' ? 1 : 0;
}

int
smtp_reply_parse(const char *data, size_t len, struct smtp_reply *r, size_t *consumed_r)
{
	size_t pos = 0;
	bool first = true;

	r->code = 0;
	r->enhanced[0] = '\0';
	buf_reset(&r->text);
	*consumed_r = 0;
	for (;;) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t llen;
		int ret;

		if (nl == NULL)
			return len - pos > SMTP_REPLY_LINE_MAX ? -1 : 0;
		llen = (size_t)(nl - (data + pos));
		if (llen > 0 && data[pos + llen - 1] == '\r')
			llen--;
		if (llen > SMTP_REPLY_LINE_MAX)
			return -1;
		ret = smtp_reply_line(r, data + pos, llen, first);
		if (ret < 0)
			return -1;
		pos = (size_t)(nl - data) + 1;
		first = false;
		if (ret == 1) {
			*consumed_r = pos;
			return 1;
		}
	}
}
