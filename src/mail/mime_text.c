/* SEARCH text helpers (see mime_text.h): body decoding, simple case folding and
 * substring matching with memmem over folded text. */
#include "mail/mime_text.h"

#include <string.h>

#include "mail/charset.h"
#include "mail/rfc2047.h"
#include "util/base64.h"
#include "util/str.h"
#include "util/utf8.h"

void
mime_text_qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t i;

	buf_reserve(out, len);
	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			out->data[out->len++] = s[i];
			continue;
		}
		/* RFC 2045 6.7 rule 5: "=" at the end of a line is a soft line break */
		if (i + 1 < len && s[i + 1] == '\n') {
			i++;
		} else if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (i + 2 < len && str_hexval(s[i + 1]) >= 0 && str_hexval(s[i + 2]) >= 0) {
			out->data[out->len++] =
				(char)(str_hexval(s[i + 1]) * 16 + str_hexval(s[i + 2]));
			i += 2;
		} else {
			out->data[out->len++] = '=';
		}
	}
	out->data[out->len] = '\0';
}

void
mime_text_decode_body(const char *body, size_t len, enum mime_encoding enc, const char *charset,
		      struct buf *out)
{
	struct buf raw = BUF_INIT;

	if (enc == MIME_ENC_BASE64) {
		base64_decode_lenient(&raw, body, len);
	} else if (enc == MIME_ENC_QP) {
		mime_text_qp_decode(body, len, &raw);
	} else {
		charset_to_utf8(charset, body, len, out);
		return;
	}
	charset_to_utf8(charset, raw.data != NULL ? raw.data : "", raw.len, out);
	buf_free(&raw);
}

/* Simple case folding (Unicode CaseFolding.txt, status C and S) for the common scripts. */
static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f) || (c >= 0xff21 && c <= 0xff3a))
		return c + 32;
	if (c == 0xb5)
		return 0x3bc;
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) ||
	    (c >= 0x14a && c <= 0x177) || (c >= 0x460 && c <= 0x481) ||
	    (c >= 0x48a && c <= 0x4bf) || (c >= 0x4d0 && c <= 0x52f) ||
	    (c >= 0x1e00 && c <= 0x1e95) || (c >= 0x1ea0 && c <= 0x1eff))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e) || (c >= 0x4c1 && c <= 0x4ce))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c == 0x17f)
		return 's';
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c == 0x3c2)
		return 0x3c3;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	return c;
}

void
mime_text_fold(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	/* folding never makes a character longer than 3 bytes; 2-byte ones can become 3
	 * at most for the few mapped up, so reserve 1.5x */
	buf_reserve(out, len + len / 2 + 4);
	while (p < end) {
		uint32_t cp;
		size_t n;

		if (*p < 0x80) {
			out->data[out->len++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			p++;
		} else if ((n = utf8_decode(p, (size_t)(end - p), &cp)) == 0) {
			/* not UTF-8 (RFC 3629 4: an overlong form is not an ASCII letter): as is */
			out->data[out->len++] = (char)*p++;
		} else {
			/* no folding maps across the 3/4-byte boundary: this stays in the room
			 * reserved above */
			out->len += utf8_put(out->data + out->len, fold_cp(cp));
			p += n;
		}
	}
	out->data[out->len] = '\0';
}

void
mime_text_matcher_init(struct mime_text_matcher *m, const char *needle, size_t len)
{
	buf_init(&m->needle);
	buf_init(&m->scratch);
	buf_init(&m->decoded);
	mime_text_fold(needle, len, &m->needle);
}

void
mime_text_matcher_free(struct mime_text_matcher *m)
{
	buf_free(&m->needle);
	buf_free(&m->scratch);
	buf_free(&m->decoded);
}

bool
mime_text_match(struct mime_text_matcher *m, const char *text, size_t len)
{
	if (m->needle.len == 0)
		return true;
	buf_reset(&m->scratch);
	mime_text_fold(text, len, &m->scratch);
	return memmem(m->scratch.data, m->scratch.len, m->needle.data, m->needle.len) != NULL;
}

bool
mime_text_match_header(struct mime_text_matcher *m, const char *value, size_t len)
{
	buf_reset(&m->decoded);
	rfc2047_decode(value, len, &m->decoded);
	return mime_text_match(m, buf_cstr(&m->decoded), m->decoded.len);
}

bool
mime_text_match_body(struct mime_text_matcher *m, const struct mime_parts *parts, const char *msg,
		     size_t len)
{
	size_t i;

	if (m->needle.len == 0)
		return true;
	for (i = 0; i < parts->count; i++) {
		const struct mime_part_info *p = &parts->parts[i];
		uint64_t off = p->hdr_off + p->hdr_size, size = p->body_size;

		if ((p->flags & MIME_PART_TEXT) == 0 || p->nchildren > 0 || off >= len)
			continue;
		if (size > len - off)
			size = len - off;
		buf_reset(&m->decoded);
		mime_text_decode_body(msg + off, (size_t)size, p->enc, p->charset, &m->decoded);
		if (mime_text_match(m, buf_cstr(&m->decoded), m->decoded.len))
			return true;
	}
	return false;
}
