/* BODY / BODYSTRUCTURE generation (RFC 3501 7.4.2, grammar in 9: body-type-1part,
 * body-type-mpart, body-ext-1part, body-ext-mpart). Recursion depth is bounded by
 * MIME_MAX_DEPTH. */
#include "mail/imap_bodystructure.h"

#include "mail/imap_envelope.h"
#include "mail/imap_quote.h"
#include "util/str.h"

/* RFC 3501 requires 1*body in a multipart: one without parts gets an empty text part */
#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

static void
write_str(struct buf *out, const struct mime_tree *t, struct mime_str s)
{
	imap_quote_append_nstring(out, mime_tree_str(t, s), s.len);
}

static void
write_params(struct buf *out, const struct mime_tree *t, uint32_t first, uint32_t n,
	     bool add_charset)
{
	uint32_t i;

	if (n == 0 && !add_charset) {
		buf_append(out, "NIL", 3);
		return;
	}
	buf_appendc(out, '(');
	for (i = first; i < first + n; i++) {
		if (i > first)
			buf_appendc(out, ' ');
		write_str(out, t, t->params[i].name);
		buf_appendc(out, ' ');
		write_str(out, t, t->params[i].value);
	}
	if (add_charset)
		buf_appends(out, n > 0 ? " \"charset\" \"us-ascii\"" : "\"charset\" \"us-ascii\"");
	buf_appendc(out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
write_ext_common(struct buf *out, const struct mime_tree *t, const struct mime_part *p)
{
	uint32_t i;

	buf_appendc(out, ' ');
	if (!mime_str_present(p->disposition)) {
		buf_append(out, "NIL", 3);
	} else {
		buf_appendc(out, '(');
		write_str(out, t, p->disposition);
		buf_appendc(out, ' ');
		write_params(out, t, p->dparams, p->ndparams, false);
		buf_appendc(out, ')');
	}
	buf_appendc(out, ' ');
	if (p->nlangs == 0) {
		buf_append(out, "NIL", 3);
	} else {
		buf_appendc(out, '(');
		for (i = p->langs; i < p->langs + p->nlangs; i++) {
			if (i > p->langs)
				buf_appendc(out, ' ');
			write_str(out, t, t->params[i].value);
		}
		buf_appendc(out, ')');
	}
	buf_appendc(out, ' ');
	write_str(out, t, p->location);
}

static void
write_multipart(struct buf *out, const struct mime_tree *t, const struct mime_part *p,
		bool extended)
{
	uint32_t c;

	if (p->first_child == MIME_NONE) {
		buf_appends(out, EMPTY_BODY);
		buf_appends(out, extended ? " NIL NIL NIL NIL)" : ")");
	}
	for (c = p->first_child; c != MIME_NONE; c = t->parts[c].next)
		imap_bodystructure_write(out, t, c, extended);
	buf_appendc(out, ' ');
	write_str(out, t, p->subtype);
	if (!extended)
		return;
	buf_appendc(out, ' ');
	write_params(out, t, p->params, p->nparams, false);
	write_ext_common(out, t, p);
}

static bool
has_charset(const struct mime_part *p)
{
	return mime_str_present(p->charset);
}

static void
write_type(struct buf *out, const struct mime_tree *t, const struct mime_part *p)
{
	if ((p->flags & MIME_PART_MESSAGE) != 0) {
		buf_appends(out, "\"message\" \"rfc822\" ");
		write_params(out, t, p->params, p->nparams, false);
	} else if ((p->flags & MIME_PART_OPAQUE) != 0) {
		buf_appends(out, "\"application\" \"octet-stream\" ");
		write_params(out, t, p->params, p->nparams, false);
	} else if (!mime_str_present(p->type)) {
		buf_appends(out, "\"text\" \"plain\" (\"charset\" \"us-ascii\")");
	} else {
		write_str(out, t, p->type);
		buf_appendc(out, ' ');
		write_str(out, t, p->subtype);
		buf_appendc(out, ' ');
		write_params(out, t, p->params, p->nparams,
			     (p->flags & MIME_PART_TEXT) != 0 && !has_charset(p));
	}
}

static void
write_single(struct buf *out, const struct mime_tree *t, const struct mime_part *p, bool extended)
{
	write_type(out, t, p);
	buf_appendc(out, ' ');
	write_str(out, t, p->id);
	buf_appendc(out, ' ');
	write_str(out, t, p->description);
	buf_appendc(out, ' ');
	if (mime_str_present(p->encoding))
		write_str(out, t, p->encoding);
	else
		buf_appends(out, "\"7bit\"");
	buf_printf(out, " %zu", p->body_size);
	if ((p->flags & MIME_PART_MESSAGE) != 0 && p->first_child != MIME_NONE) {
		const struct mime_part *child = &t->parts[p->first_child];

		buf_appendc(out, ' ');
		imap_envelope_write(out, t, child);
		buf_appendc(out, ' ');
		imap_bodystructure_write(out, t, p->first_child, extended);
		buf_printf(out, " %zu", p->body_lines);
	} else if ((p->flags & MIME_PART_TEXT) != 0) {
		buf_printf(out, " %zu", p->body_lines);
	}
	if (!extended)
		return;
	buf_appendc(out, ' ');
	write_str(out, t, p->md5);
	write_ext_common(out, t, p);
}

void
imap_bodystructure_write(struct buf *out, const struct mime_tree *t, uint32_t idx, bool extended)
{
	const struct mime_part *p = &t->parts[idx];

	buf_appendc(out, '(');
	if ((p->flags & MIME_PART_MULTIPART) != 0)
		write_multipart(out, t, p, extended);
	else
		write_single(out, t, p, extended);
	buf_appendc(out, ')');
}
