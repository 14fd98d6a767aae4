/* The message a milter edits (see milter_msg.h). */
#include "filter/milter_msg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xmalloc.h"

static void
add_field(struct milter_msg *m, size_t at, char *name, char *value)
{
	m->fields = xgrow(m->fields, &m->cap, m->n + 1, sizeof(*m->fields));
	if (at > m->n)
		at = m->n;
	memmove(m->fields + at + 1, m->fields + at, (m->n - at) * sizeof(*m->fields));
	m->fields[at].name = name;
	m->fields[at].value = value;
	m->n++;
}

void
milter_msg_parse(struct milter_msg *m, const char *data, size_t len)
{
	size_t pos = 0;

	memset(m, 0, sizeof(*m));
	while (pos < len) {
		const char *line = data + pos, *nl, *colon;
		size_t end;

		if (line[0] == '\n' || (line[0] == '\r' && pos + 1 < len && line[1] == '\n')) {
			pos += line[0] == '\n' ? 1 : 2;
			break; /* the empty line */
		}
		colon = memchr(line, ':', len - pos);
		nl = memchr(line, '\n', len - pos);
		if (colon == NULL || (nl != NULL && colon > nl) || colon == line ||
		    line[0] == ' ' || line[0] == '\t') {
			/* not a header field: the rest is body (RFC 5322 2.1) */
			break;
		}
		/* the field runs to the first line break not followed by WSP */
		end = pos;
		for (;;) {
			nl = memchr(data + end, '\n', len - end);
			if (nl == NULL) {
				end = len;
				break;
			}
			end = (size_t)(nl - data) + 1;
			if (end >= len || (data[end] != ' ' && data[end] != '\t'))
				break;
		}
		{
			size_t vstart = (size_t)(colon - data) + 1, vend = end;

			while (vend > vstart && (data[vend - 1] == '\n' || data[vend - 1] == '\r'))
				vend--;
			add_field(m, m->n, xstrndup(line, (size_t)(colon - line)),
				  xstrndup(data + vstart, vend - vstart));
		}
		pos = end;
	}
	if (pos < len)
		buf_append(&m->body, data + pos, len - pos);
}

void
milter_msg_format(const struct milter_msg *m, struct buf *out)
{
	for (size_t i = 0; i < m->n; i++) {
		buf_appends(out, m->fields[i].name);
		buf_appendc(out, ':');
		buf_appends(out, m->fields[i].value);
		buf_appends(out, "\r\n");
	}
	buf_appends(out, "\r\n");
	buf_append(out, m->body.data, m->body.len);
}

void
milter_msg_free(struct milter_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	free(m->fields);
	buf_free(&m->body);
	memset(m, 0, sizeof(*m));
}

/* The filter's value as it goes into the message: LF or CRLF breaks become CRLF (a line
 * break not followed by WSP gets a tab, or the field would end there), a space after the
 * colon unless the filter sends its own (HDR_LEADSPC). */
static char *
stored_value(const char *value, bool leadspc)
{
	struct buf b = BUF_INIT;

	if (!leadspc)
		buf_appendc(&b, ' ');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			buf_appends(&b, "\r\n");
			if (p[1] != ' ' && p[1] != '\t')
				buf_appendc(&b, '\t');
			continue;
		}
		buf_appendc(&b, *p);
	}
	return buf_steal(&b);
}

void
milter_msg_add(struct milter_msg *m, const char *name, const char *value, bool leadspc)
{
	add_field(m, m->n, xstrdup(name), stored_value(value, leadspc));
	m->changed = true;
}

void
milter_msg_insert(struct milter_msg *m, size_t index, const char *name, const char *value,
		  bool leadspc)
{
	add_field(m, index, xstrdup(name), stored_value(value, leadspc));
	m->changed = true;
}

void
milter_msg_change(struct milter_msg *m, const char *name, unsigned index, const char *value,
		  bool leadspc)
{
	unsigned seen = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (strcasecmp(m->fields[i].name, name) != 0 || ++seen != index)
			continue;
		m->changed = true;
		if (*value == '\0') {
			free(m->fields[i].name);
			free(m->fields[i].value);
			memmove(m->fields + i, m->fields + i + 1,
				(m->n - i - 1) * sizeof(*m->fields));
			m->n--;
			return;
		}
		free(m->fields[i].value);
		m->fields[i].value = stored_value(value, leadspc);
		return;
	}
	if (*value != '\0')
		milter_msg_add(m, name, value, leadspc);
}

char *
milter_field_wire_value(const struct milter_field *f, bool leadspc)
{
	struct buf b = BUF_INIT;
	const char *p = f->value;

	if (!leadspc && *p == ' ')
		p++;
	for (; *p != '\0'; p++)
		if (*p != '\r')
			buf_appendc(&b, *p);
	return buf_steal(&b);
}
