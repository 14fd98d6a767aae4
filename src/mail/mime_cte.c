/* Content-transfer-encodings for IMAP BINARY (RFC 3516, RFC 2045 6): see mime_cte.h. */
#include "mail/mime_cte.h"

#include <string.h>

#include "util/base64.h"
#include "util/str.h"

/* Decodes one quoted-printable line's content s[0..len) (no line end, no trailing
 * white space). */
static void
qp_line(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && str_hexval(s[i + 1]) >= 0 &&
		    str_hexval(s[i + 2]) >= 0) {
			buf_appendc(out, (char)(str_hexval(s[i + 1]) * 16 + str_hexval(s[i + 2])));
			i += 2;
		} else {
			buf_appendc(out, s[i]);
		}
	}
}

void
mime_cte_qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	buf_reserve(out, len);
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t j = nl != NULL ? (size_t)(nl - s) : len; /* the LF, or the end */
		size_t e = j > i && nl != NULL && s[j - 1] == '\r' ? j - 1 : j;
		size_t t = e;
		bool soft;

		/* RFC 2045 6.7 rule 3: white space at the end of an encoded line is padding */
		while (t > i && (s[t - 1] == ' ' || s[t - 1] == '\t'))
			t--;
		/* rule 5: a final "=" is a soft line break: neither it nor the line end count */
		soft = t > i && s[t - 1] == '=';
		qp_line(s + i, t - i - (soft ? 1 : 0), out);
		if (!soft && nl != NULL)
			buf_append(out, s + e, j + 1 - e);
		i = j + 1;
	}
}

int
mime_cte_decode(enum mime_encoding enc, const char *in, size_t len, struct buf *out)
{
	switch (enc) {
	case MIME_ENC_BASE64:
		base64_decode_lenient(out, in, len);
		return 0;
	case MIME_ENC_QP:
		mime_cte_qp_decode(in, len, out);
		return 0;
	case MIME_ENC_7BIT:
	case MIME_ENC_8BIT:
	case MIME_ENC_BINARY:
		buf_append(out, in, len);
		return 0;
	case MIME_ENC_UNKNOWN:
		break;
	}
	return -1;
}

bool
mime_cte_has_nul(const char *data, size_t len)
{
	return len > 0 && memchr(data, '\0', len) != NULL;
}

/* Whether the header line at p[0..len) is a Content-Transfer-Encoding field (the name,
 * white space allowed before the colon as RFC 5322 4.5.8 obs-optional has it). */
static bool
is_cte_field(const char *p, size_t len)
{
	static const char name[] = "Content-Transfer-Encoding";
	size_t i = sizeof(name) - 1;

	if (len < i || str_ncasecmp(p, name, i) != 0)
		return false;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && p[i] == ':';
}

/* The header block hdr[0..len) with every Content-Transfer-Encoding field (and its
 * continuation lines) replaced by "Content-Transfer-Encoding: base64". */
static void
header_set_base64(const char *hdr, size_t len, struct buf *out)
{
	size_t i = 0;
	bool skipping = false;

	while (i < len) {
		const char *nl = memchr(hdr + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
		bool cont = hdr[i] == ' ' || hdr[i] == '\t';

		if (!cont)
			skipping = is_cte_field(hdr + i, end - i);
		if (skipping && !cont)
			buf_appends(out, "Content-Transfer-Encoding: base64\r\n");
		else if (!skipping)
			buf_append(out, hdr + i, end - i);
		i = end;
	}
}

/* base64 in lines of 76 characters (RFC 2045 6.8), CRLF between them. */
static void
base64_lines(const char *data, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i += 57) {
		if (i > 0)
			buf_appends(out, "\r\n");
		base64_encode(out, data + i, len - i < 57 ? len - i : 57);
	}
}

bool
mime_cte_binary_to_base64(const char *msg, size_t len, struct buf *out)
{
	struct mime_tree t;
	size_t pos = 0;
	bool changed = false;

	memset(&t, 0, sizeof(t));
	mime_tree_parse(&t, msg, len);
	for (size_t k = 0; k < t.nparts; k++) {
		const struct mime_part *p = &t.parts[k];
		size_t body = mime_part_body_off(p);

		/* leaves only: a multipart or message is never transfer-encoded (RFC 2045 6.4) */
		if (p->enc != MIME_ENC_BINARY || p->nchildren > 0 ||
		    (p->flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) != 0 ||
		    p->hdr_off < pos || body + p->body_size > len)
			continue;
		buf_append(out, msg + pos, p->hdr_off - pos);
		header_set_base64(msg + p->hdr_off, p->hdr_size, out);
		base64_lines(msg + body, p->body_size, out);
		pos = body + p->body_size;
		if (pos == len)
			buf_appends(out, "\r\n");
		changed = true;
	}
	if (changed)
		buf_append(out, msg + pos, len - pos);
	mime_tree_free(&t);
	return changed;
}
