/* The EMailAddress extractor of Autodiscover requests (see http_autodiscover_req.h). */
#include "http/http_autodiscover_req.h"

#include <stdbool.h>
#include <string.h>

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* XML 1.0 2.3 NameChar, ASCII part (enough for the element names we compare) */
static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

/* Whether the tag name [name, name+n) is EMailAddress, with or without a prefix. */
static bool
is_email_tag(const char *name, size_t n)
{
	static const char want[] = "EMailAddress";
	const size_t wn = sizeof(want) - 1;
	const char *colon = memchr(name, ':', n);

	if (colon != NULL) {
		n -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	return n == wn && memcmp(name, want, wn) == 0;
}

/* When body[*i..] starts with open, moves *i past the next close: 0; -1 when close never
 * comes. Otherwise leaves *i: 0. */
static int
skip_section(const char *body, size_t len, size_t *i, const char *open, const char *close)
{
	size_t on = strlen(open), cn = strlen(close);

	if (len - *i < on || memcmp(body + *i, open, on) != 0)
		return 0;
	for (size_t k = *i + on; k + cn <= len; k++) {
		if (memcmp(body + k, close, cn) == 0) {
			*i = k + cn;
			return 0;
		}
	}
	return -1;
}

int
autodiscover_request_email(const char *body, size_t len, char *out, size_t out_size)
{
	size_t i = 0;

	if (out_size < AUTODISCOVER_ADDRESS_MAX + 1)
		return -1;
	while (i < len) {
		const char *lt = memchr(body + i, '<', len - i);
		size_t name, name_end, start, end;

		if (lt == NULL)
			return -1;
		i = (size_t)(lt - body) + 1;
		/* a comment or CDATA section: skipped whole, whatever it holds (XML 1.0 2.5,
		 * 2.7) */
		if (skip_section(body, len, &i, "!--", "-->") < 0 ||
		    skip_section(body, len, &i, "![CDATA[", "]]>") < 0)
			return -1;
		/* an end tag, declaration or processing instruction: not ours */
		if (i >= len || !is_name_char(body[i]) || body[i] == ':')
			continue;
		name = i;
		while (i < len && is_name_char(body[i]))
			i++;
		name_end = i;
		/* attributes (xmlns...) up to the tag's end; a '>' inside a quoted value counts
		 * as the end too, which at worst makes us refuse a strange request */
		while (i < len && body[i] != '>')
			i++;
		if (i >= len)
			return -1;
		if (!is_email_tag(body + name, name_end - name))
			continue;
		if (body[i - 1] == '/')
			return -1; /* <EMailAddress/>: empty */
		start = ++i;
		while (i < len && body[i] != '<')
			i++;
		if (i >= len)
			return -1; /* never closed */
		end = i;
		while (start < end && is_space(body[start]))
			start++;
		while (end > start && is_space(body[end - 1]))
			end--;
		if (end == start || end - start > AUTODISCOVER_ADDRESS_MAX)
			return -1;
		for (size_t k = start; k < end; k++) {
			unsigned char c = (unsigned char)body[k];
			if (c < 0x21 || c == 0x7f || c == '&' || c == '>' || c == '"' || c == '\'')
				return -1;
		}
		memcpy(out, body + start, end - start);
		out[end - start] = '\0';
		return 0;
	}
	return -1;
}
