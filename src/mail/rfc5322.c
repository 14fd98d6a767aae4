/* RFC 5322 header fields: finding the end of a header, iterating folded fields,
 * unfolding values and filtering fields for IMAP HEADER.FIELDS; CFWS. Line ends may be CRLF
 * or bare LF; nothing here allocates except into the caller's buffers. */
#include "mail/rfc5322.h"

#include <string.h>

#include "util/str.h"

const char *
rfc5322_skip_cfws(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		char c = *p;

		if (depth > 0) {
			if (c == '\\' && p + 1 < end)
				p++; /* quoted-pair: the next byte is literal */
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
	}
	return p;
}

/* Offset just past the LF that ends the line at p, or end. */
static const char *
line_next(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf != NULL ? lf + 1 : end;
}

static bool
line_is_empty(const char *p, const char *end)
{
	return p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'));
}

size_t
rfc5322_header_size(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	/* RFC 5322 2.1: the header ends at the first empty line. */
	while (p < end) {
		if (line_is_empty(p, end))
			return (size_t)(line_next(p, end) - msg);
		p = line_next(p, end);
	}
	return len;
}

void
rfc5322_header_iter_init(struct rfc5322_header_iter *it, const char *hdr, size_t len)
{
	it->p = hdr;
	it->end = hdr + len;
}

/* Length of [start, stop) without a trailing CRLF / LF. */
static size_t
strip_eol(const char *start, const char *stop)
{
	if (stop > start && stop[-1] == '\n')
		stop--;
	if (stop > start && stop[-1] == '\r')
		stop--;
	return (size_t)(stop - start);
}

bool
rfc5322_header_iter_next(struct rfc5322_header_iter *it, struct rfc5322_field *f)
{
	const char *start = it->p, *end = it->end, *p, *colon, *eol;

	if (start >= end || line_is_empty(start, end))
		return false;
	/* RFC 5322 2.2.3: a field continues over lines that start with WSP. */
	p = line_next(start, end);
	while (p < end && (*p == ' ' || *p == '\t'))
		p = line_next(p, end);
	it->p = p;

	f->raw = start;
	f->raw_len = (size_t)(p - start);
	eol = start + strip_eol(start, p);
	colon = memchr(start, ':', (size_t)(eol - start));
	if (colon == NULL) {
		f->has_colon = false;
		f->name = start;
		f->name_len = strip_eol(start, line_next(start, p));
		f->value = eol;
		f->value_len = 0;
		return true;
	}
	f->has_colon = true;
	f->name = start;
	f->name_len = (size_t)(colon - start);
	/* obs-optional (RFC 5322 4.5): WSP allowed between the name and the colon */
	while (f->name_len > 0 && (start[f->name_len - 1] == ' ' || start[f->name_len - 1] == '\t'))
		f->name_len--;
	f->value = colon + 1;
	f->value_len = (size_t)(eol - f->value);
	return true;
}

static bool
name_is(const struct rfc5322_field *f, const char *name, size_t nlen)
{
	return f->has_colon && f->name_len == nlen && str_ncasecmp(f->name, name, nlen) == 0;
}

bool
rfc5322_header_find(const char *hdr, size_t len, const char *name, struct rfc5322_field *f)
{
	struct rfc5322_header_iter it;
	size_t nlen = strlen(name);

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, f)) {
		if (name_is(f, name, nlen))
			return true;
	}
	return false;
}

void
rfc5322_unfold(struct buf *out, const char *value, size_t len)
{
	const char *p = value, *end = value + len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	buf_reserve(out, (size_t)(end - p));
	for (; p < end; p++) {
		/* unfolding removes the CRLF, keeping the WSP that follows it */
		if (*p == '\r' || *p == '\n')
			continue;
		out->data[out->len++] = *p == '\0' ? '?' : *p;
	}
	out->data[out->len] = '\0';
}

void
rfc5322_header_filter(const char *hdr, size_t len, const char *const *names, size_t n, bool not,
		      struct buf *out)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	/* the names' lengths once per header, not once per field (a FETCH 1:* of header
	 * fields filters every message's header) */
	size_t lens[16];
	size_t i;

	for (i = 0; i < n && i < sizeof(lens) / sizeof(lens[0]); i++)
		lens[i] = strlen(names[i]);
	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		bool match = false;

		for (i = 0; i < n && !match; i++)
			match = name_is(&f, names[i],
					i < sizeof(lens) / sizeof(lens[0]) ? lens[i]
									   : strlen(names[i]));
		if (match == not )
			continue;
		buf_append(out, f.raw, f.raw_len);
		/* a last field without a line end still gets one */
		if (f.raw_len == 0 || f.raw[f.raw_len - 1] != '\n')
			buf_append(out, "\r\n", 2);
	}
	buf_append(out, "\r\n", 2);
}

size_t
rfc5322_count_fields(const char *msg, size_t len, const char *name)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	size_t nlen = strlen(name), n = 0;

	rfc5322_header_iter_init(&it, msg, rfc5322_header_size(msg, len));
	while (rfc5322_header_iter_next(&it, &f))
		if (f.has_colon && f.name_len == nlen && str_ncasecmp(f.name, name, nlen) == 0)
			n++;
	return n;
}
