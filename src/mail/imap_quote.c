/* IMAP quoted strings and literals for generated responses (see imap_quote.h). */
#include "mail/imap_quote.h"

#include <stdbool.h>
#include <string.h>

/* Past this length, or this many escapes, a literal is both cheaper and safer. */
#define QUOTE_MAX_LEN 1024
#define QUOTE_MAX_ESCAPES 16

static bool
needs_literal(const unsigned char *s, size_t len)
{
	size_t i, escapes = 0;

	if (len > QUOTE_MAX_LEN)
		return true;
	for (i = 0; i < len; i++) {
		/* RFC 3501 9: QUOTED-CHAR excludes CR and LF; 8-bit needs a literal */
		if (s[i] == '\r' || s[i] == '\n' || s[i] >= 0x80 || s[i] == '\0')
			return true;
		if ((s[i] == '"' || s[i] == '\\') && ++escapes > QUOTE_MAX_ESCAPES)
			return true;
	}
	return false;
}

void
imap_quote_append_string(struct buf *out, const char *s, size_t len)
{
	size_t i;

	if (needs_literal((const unsigned char *)s, len)) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_reserve(out, len);
		for (i = 0; i < len; i++)
			out->data[out->len++] = s[i] == '\0' ? '?' : s[i];
		out->data[out->len] = '\0';
		return;
	}
	buf_reserve(out, len + 2 + QUOTE_MAX_ESCAPES);
	out->data[out->len++] = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out->data[out->len++] = '\\';
		out->data[out->len++] = s[i];
	}
	out->data[out->len++] = '"';
	out->data[out->len] = '\0';
}

void
imap_quote_append_nstring(struct buf *out, const char *s, size_t len)
{
	if (s == NULL)
		buf_append(out, "NIL", 3);
	else
		imap_quote_append_string(out, s, len);
}

void
imap_quote_append_str(struct buf *out, const char *s)
{
	imap_quote_append_string(out, s, strlen(s));
}

void
imap_quote_append_nstr(struct buf *out, const char *s)
{
	imap_quote_append_nstring(out, s, s != NULL ? strlen(s) : 0);
}
