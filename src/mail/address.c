/* RFC 5321 4.1.2 Mailbox parsing and formatting, with the RFC 6531 3.3 UTF-8 extensions.
 * The grammar is checked octet by octet; non-ASCII octets must form valid UTF-8. */
#include "mail/address.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

#define ADDRESS_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2 */
#define ADDRESS_LABEL_MAX 63   /* RFC 1035 2.3.4 */

/* RFC 5322 3.2.3 atext */
static bool
address_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
address_is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5321 4.1.2 Dot-string = Atom *("." Atom), Atom = 1*atext (RFC 6531 3.3: or UTF-8).
 * Returns the length of the Dot-string at s, stopping at '@' or the end, 0 if invalid. */
static size_t
address_dot_string_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool atom_empty = true;
	size_t n;

	for (;;) {
		if (*p == '.') {
			if (atom_empty)
				return 0;
			atom_empty = true;
			p++;
		} else if (address_is_atext(*p)) {
			atom_empty = false;
			p++;
		} else if (*p >= 0x80 && (n = utf8_decode(p, SIZE_MAX, NULL)) > 0) {
			atom_empty = false;
			p += n;
		} else {
			break;
		}
	}
	return atom_empty ? 0 : (size_t)(p - (const unsigned char *)s);
}

/* RFC 5321 4.1.2 Quoted-string = DQUOTE *QcontentSMTP DQUOTE; qtextSMTP = %d32-33 /
 * %d35-91 / %d93-126 (RFC 6531: or UTF-8); quoted-pairSMTP = "\" %d32-126. Appends the
 * unescaped content to out; returns the length consumed, 0 if invalid. */
static size_t
address_quoted_parse(const char *s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s + 1;
	size_t n;

	for (;;) {
		if (*p == '"')
			return (size_t)(p + 1 - (const unsigned char *)s);
		if (*p == '\\') {
			if (p[1] < 32 || p[1] > 126)
				return 0;
			buf_appendc(out, (char)p[1]);
			p += 2;
		} else if (*p >= 32 && *p <= 126) {
			buf_appendc(out, (char)*p);
			p++;
		} else if (*p >= 0x80 && (n = utf8_decode(p, SIZE_MAX, NULL)) > 0) {
			buf_append(out, p, n);
			p += n;
		} else {
			return 0;
		}
	}
}

/* RFC 5321 4.1.3 address literals: IPv4, "IPv6:" IPv6, or Standardized-tag ":" 1*dcontent */
static bool
address_literal_is_valid(const char *s, size_t len)
{
	char tmp[ADDRESS_DOMAIN_MAX + 1];
	unsigned char addr[16];
	const char *colon;
	size_t i;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']' || len > ADDRESS_DOMAIN_MAX)
		return false;
	memcpy(tmp, s + 1, len - 2);
	tmp[len - 2] = '\0';
	colon = strchr(tmp, ':');
	if (colon == NULL)
		return inet_pton(AF_INET, tmp, addr) == 1;
	if (colon - tmp == 4 && str_ncasecmp(tmp, "IPv6", 4) == 0)
		return inet_pton(AF_INET6, colon + 1, addr) == 1;
	/* Standardized-tag = Ldh-str; dcontent = %d33-90 / %d94-126 */
	if (colon == tmp || !address_is_letdig((unsigned char)tmp[0]) ||
	    !address_is_letdig((unsigned char)colon[-1]))
		return false;
	for (i = 0; tmp + i < colon; i++)
		if (!address_is_letdig((unsigned char)tmp[i]) && tmp[i] != '-')
			return false;
	if (colon[1] == '\0')
		return false;
	for (i = 1; colon[i] != '\0'; i++) {
		unsigned char c = (unsigned char)colon[i];
		if (c < 33 || c > 126 || (c >= 91 && c <= 93))
			return false;
	}
	return true;
}

/* RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
 * (RFC 6531 3.3: or a U-label, taken here as labels that may hold UTF-8). */
static bool
address_dns_domain_is_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *label = p;
	size_t n;

	if (strlen(s) > ADDRESS_DOMAIN_MAX)
		return false;
	for (;;) {
		if (*p == '.' || *p == '\0') {
			size_t llen = (size_t)(p - label);
			if (llen == 0 || llen > ADDRESS_LABEL_MAX || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = ++p;
		} else if (address_is_letdig(*p)) {
			p++;
		} else if (*p == '-' && p != label) {
			p++;
		} else if (*p >= 0x80 && (n = utf8_decode(p, SIZE_MAX, NULL)) > 0) {
			p += n;
		} else {
			return false;
		}
	}
}

bool
address_domain_is_valid(const char *domain)
{
	if (domain[0] == '[')
		return address_literal_is_valid(domain, strlen(domain));
	return address_dns_domain_is_valid(domain);
}

int
address_parse(const char *s, struct address *addr_r, const char **error_r)
{
	struct buf local = BUF_INIT;
	size_t n;

	memset(addr_r, 0, sizeof(*addr_r));
	if (s[0] == '"') {
		n = address_quoted_parse(s, &local);
	} else {
		n = address_dot_string_len(s);
		buf_append(&local, s, n);
	}
	if (n == 0 || local.len == 0 || s[n] != '@') {
		buf_free(&local);
		*error_r = n > 0 && s[n] == '\0' ? "missing @domain" : "invalid local part";
		return -1;
	}
	if (!address_domain_is_valid(s + n + 1)) {
		buf_free(&local);
		*error_r = "invalid domain";
		return -1;
	}
	addr_r->local = buf_steal(&local);
	addr_r->domain = xstrdup(s + n + 1);
	return 0;
}

void
address_clear(struct address *addr)
{
	free(addr->local);
	free(addr->domain);
	addr->local = NULL;
	addr->domain = NULL;
}

bool
address_is_valid(const char *s)
{
	struct address addr;
	const char *error;

	if (address_parse(s, &addr, &error) < 0)
		return false;
	address_clear(&addr);
	return true;
}

char *
address_format(const struct address *addr)
{
	struct buf b = BUF_INIT;
	const char *p;

	if (addr->local[0] != '\0' && address_dot_string_len(addr->local) == strlen(addr->local)) {
		buf_appends(&b, addr->local);
	} else {
		buf_appendc(&b, '"');
		for (p = addr->local; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_appendc(&b, '\\');
			buf_appendc(&b, *p);
		}
		buf_appendc(&b, '"');
	}
	buf_appendc(&b, '@');
	buf_appends(&b, addr->domain);
	return buf_steal(&b);
}

char *
address_canonical(const char *s, char delim)
{
	struct address addr;
	const char *error;
	char *p, *ret;

	if (address_parse(s, &addr, &error) < 0)
		return NULL;
	if (delim != '\0') {
		p = strchr(addr.local, delim);
		if (p != NULL && p != addr.local)
			*p = '\0';
	}
	str_lower(addr.domain);
	ret = address_format(&addr);
	address_clear(&addr);
	return ret;
}
