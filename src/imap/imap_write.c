/* Response writing helpers (see imap_write.h). Strings that are not atoms are written by
 * mail/imap_quote.c, the one quoter of the ENVELOPE, BODYSTRUCTURE and response code. */
#include "imap/imap_write.h"

#include <string.h>

#include "imap/imap_flags.h"
#include "imap/imap_mutf7.h"
#include "mail/imap_quote.h"
#include "util/buf.h"
#include "util/str.h"

static bool
is_atom_char(unsigned char c)
{
	/* ATOM-CHAR: CHAR except atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]" */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", c) == NULL;
}

bool
imap_write_is_atom(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_atom_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

void
imap_write_astring(struct buf *out, const char *s, size_t len)
{
	bool atom = len > 0 && !(len == 3 && str_ncasecmp(s, "NIL", 3) == 0);

	/* ASTRING-CHAR = ATOM-CHAR / resp-specials ("]") */
	for (size_t i = 0; atom && i < len; i++)
		atom = s[i] == ']' || is_atom_char((unsigned char)s[i]);
	if (atom)
		buf_append(out, s, len);
	else
		imap_quote_append_string(out, s, len);
}

void
imap_write_astr(struct buf *out, const char *s)
{
	imap_write_astring(out, s, strlen(s));
}

void
imap_write_mailbox(struct buf *out, const char *utf8_name)
{
	struct buf tmp = BUF_INIT;
	const char *error;

	if (imap_mutf7_encode(utf8_name, &tmp, &error) < 0)
		imap_write_astr(out, utf8_name);
	else
		imap_write_astring(out, tmp.data != NULL ? tmp.data : "", tmp.len);
	buf_free(&tmp);
}

void
imap_write_flags(struct buf *out, unsigned flags, const char *const *keywords, size_t n_keywords)
{
	bool first = true;

	buf_appendc(out, '(');
	for (unsigned i = 0; i < IMAP_FLAG_COUNT; i++) {
		if ((flags & (1u << i)) == 0)
			continue;
		if (!first)
			buf_appendc(out, ' ');
		buf_appends(out, imap_flag_name(1u << i));
		first = false;
	}
	for (size_t i = 0; i < n_keywords; i++) {
		if (!first)
			buf_appendc(out, ' ');
		buf_appends(out, keywords[i]);
		first = false;
	}
	buf_appendc(out, ')');
}
