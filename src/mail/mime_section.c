/* IMAP BODY[section] (RFC 3501 6.4.5): parsing the section spec and finding its byte
 * range from a decoded part tree. Part numbering follows the RFC (and Dovecot): a
 * non-multipart has only part 1 (itself); a message/rfc822 part followed by more part
 * numbers stands for the message it encapsulates. */
#include "mail/mime_parts.h"

#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define FIELDS_MAX 1000

struct sp {
	const char *p, *end;
};

static bool
kw(struct sp *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || str_ncasecmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

static int
parse_path(struct sp *s, struct mime_section_spec *spec, const char **error_r)
{
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		uint64_t v = 0;

		if (*s->p == '0') {
			*error_r = "Part numbers start at 1";
			return -1;
		}
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*s->p++ - '0');
		if (v > UINT32_MAX || spec->path_len >= MIME_SECTION_MAX_PATH) {
			*error_r = "Part number too large or too deep";
			return -1;
		}
		spec->path[spec->path_len++] = (uint32_t)v;
		if (s->p < s->end && *s->p == '.') {
			s->p++;
			if (s->p >= s->end) {
				*error_r = "Section ends with '.'";
				return -1;
			}
		} else if (s->p < s->end) {
			*error_r = "Bad part number";
			return -1;
		}
	}
	return 0;
}

/* One header-fld-name: an atom or a quoted string. */
static int
parse_field_name(struct sp *s, struct mime_section_spec *spec)
{
	struct buf b = BUF_INIT;

	if (*s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			buf_appendc(&b, *s->p);
		}
		if (s->p >= s->end) {
			buf_free(&b);
			return -1;
		}
		s->p++;
	} else {
		while (s->p < s->end && *s->p != ' ' && *s->p != ')' && *s->p != '(' &&
		       *s->p != '"' && (unsigned char)*s->p > 0x20 && (unsigned char)*s->p < 0x7f)
			buf_appendc(&b, *s->p++);
		if (b.len == 0)
			return -1;
	}
	if (spec->nfields >= FIELDS_MAX) {
		buf_free(&b);
		return -1;
	}
	spec->fields = xrealloc(spec->fields, (spec->nfields + 1) * sizeof(*spec->fields));
	spec->fields[spec->nfields++] = buf_steal(&b);
	return 0;
}

/* SP "(" header-fld-name *(SP header-fld-name) ")" */
static int
parse_field_list(struct sp *s, struct mime_section_spec *spec, const char **error_r)
{
	*error_r = "Bad HEADER.FIELDS list";
	if (s->p >= s->end || *s->p++ != ' ')
		return -1;
	if (s->p >= s->end || *s->p++ != '(')
		return -1;
	for (;;) {
		if (s->p >= s->end || parse_field_name(s, spec) < 0)
			return -1;
		if (s->p < s->end && *s->p == ' ') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ')') {
			s->p++;
			break;
		}
		return -1;
	}
	return s->p == s->end ? 0 : -1;
}

static int
parse_text(struct sp *s, struct mime_section_spec *spec, const char **error_r)
{
	if (kw(s, "HEADER.FIELDS.NOT")) {
		spec->kind = MIME_SECTION_HEADER_FIELDS_NOT;
		return parse_field_list(s, spec, error_r);
	}
	if (kw(s, "HEADER.FIELDS")) {
		spec->kind = MIME_SECTION_HEADER_FIELDS;
		return parse_field_list(s, spec, error_r);
	}
	if (kw(s, "HEADER"))
		spec->kind = MIME_SECTION_HEADER;
	else if (kw(s, "TEXT"))
		spec->kind = MIME_SECTION_TEXT;
	else if (spec->path_len > 0 && kw(s, "MIME"))
		spec->kind = MIME_SECTION_MIME;
	else {
		*error_r = "Unknown section text";
		return -1;
	}
	if (s->p != s->end) {
		*error_r = "Junk after section text";
		return -1;
	}
	return 0;
}

int
mime_section_parse(const char *str, size_t len, struct mime_section_spec *spec,
		   const char **error_r)
{
	struct sp s = {str, str + len};

	memset(spec, 0, sizeof(*spec));
	spec->kind = MIME_SECTION_BODY;
	if (parse_path(&s, spec, error_r) < 0 ||
	    (s.p < s.end && parse_text(&s, spec, error_r) < 0)) {
		mime_section_spec_free(spec);
		return -1;
	}
	return 0;
}

void
mime_section_spec_free(struct mime_section_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++)
		free(spec->fields[i]);
	free(spec->fields);
	spec->fields = NULL;
	spec->nfields = 0;
}

/* Walks the part path. MIME_NONE when there is no such part. */
static uint32_t
walk(const struct mime_parts *parts, const uint32_t *path, size_t n)
{
	uint32_t idx = 0, k;
	size_t i;

	for (i = 0; i < n && idx != MIME_NONE; i++) {
		const struct mime_part_info *p = &parts->parts[idx];
		bool more = i + 1 < n;

		if ((p->flags & MIME_PART_MULTIPART) != 0) {
			idx = p->first_child;
			for (k = 1; k < path[i] && idx != MIME_NONE; k++)
				idx = parts->parts[idx].next;
		} else if (path[i] != 1 || (more && (p->flags & MIME_PART_MESSAGE) == 0)) {
			return MIME_NONE;
		}
		if (idx != MIME_NONE && more && (parts->parts[idx].flags & MIME_PART_MESSAGE) != 0)
			idx = parts->parts[idx].first_child;
	}
	return idx;
}

uint32_t
mime_section_part(const struct mime_parts *parts, const struct mime_section_spec *spec)
{
	return parts->count == 0 ? MIME_NONE : walk(parts, spec->path, spec->path_len);
}

static void
set_range(struct mime_section_range *r, uint64_t off, uint64_t size)
{
	r->offset = off;
	r->size = size;
}

int
mime_section_find(const struct mime_parts *parts, const struct mime_section_spec *spec,
		  struct mime_section_range *r)
{
	const struct mime_part_info *p;
	uint32_t idx;

	memset(r, 0, sizeof(*r));
	if (parts->count == 0)
		return -1;
	idx = walk(parts, spec->path, spec->path_len);
	if (idx == MIME_NONE)
		return -1;
	p = &parts->parts[idx];
	if (spec->kind == MIME_SECTION_BODY) {
		if (spec->path_len == 0)
			set_range(r, 0, p->hdr_size + p->body_size);
		else
			set_range(r, p->hdr_off + p->hdr_size, p->body_size);
		return 0;
	}
	if (spec->kind == MIME_SECTION_MIME) {
		set_range(r, p->hdr_off, p->hdr_size);
		return 0;
	}
	/* HEADER, HEADER.FIELDS, TEXT: of the message itself or of a message/rfc822 part */
	if (spec->path_len > 0) {
		if ((p->flags & MIME_PART_MESSAGE) == 0 || p->first_child == MIME_NONE)
			return -1;
		p = &parts->parts[p->first_child];
	}
	if (spec->kind == MIME_SECTION_TEXT)
		set_range(r, p->hdr_off + p->hdr_size, p->body_size);
	else
		set_range(r, p->hdr_off, p->hdr_size);
	r->filter = spec->kind == MIME_SECTION_HEADER_FIELDS ||
		    spec->kind == MIME_SECTION_HEADER_FIELDS_NOT;
	return 0;
}

int
mime_section_extract(const struct mime_parts *parts, const struct mime_section_spec *spec,
		     const char *msg, size_t len, struct buf *out)
{
	struct mime_section_range r;

	if (mime_section_find(parts, spec, &r) < 0)
		return -1;
	if (r.offset > len)
		r.offset = len;
	if (r.size > len - r.offset)
		r.size = len - r.offset;
	if (r.filter)
		rfc5322_header_filter(msg + r.offset, (size_t)r.size,
				      (const char *const *)spec->fields, spec->nfields,
				      spec->kind == MIME_SECTION_HEADER_FIELDS_NOT, out);
	else
		buf_append(out, msg + r.offset, (size_t)r.size);
	return 0;
}
