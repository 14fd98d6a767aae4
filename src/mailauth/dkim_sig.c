/* DKIM-Signature parsing and validation, RFC 6376 3.5 and 6.1.1. */
#include "mailauth/dkim_sig.h"

#include <stdlib.h>
#include <string.h>

#include "mailauth/tag_list.h"
#include "util/base64.h"
#include "util/str.h"
#include "util/xmalloc.h"

const char *
dkim_alg_name(enum dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ALG_RSA_SHA1:
		return "rsa-sha1";
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	}
	return "?";
}

const char *
dkim_status_name(enum dkim_status st)
{
	static const char *const names[] = {"pass",   "fail",      "neutral",
					    "policy", "temperror", "permerror"};

	return (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "permerror";
}

void
dkim_strip_fws(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			buf_appendc(out, s[i]);
}

bool
dkim_domain_within(const char *dom, size_t len, const char *parent)
{
	size_t plen = strlen(parent);

	if (len == plen)
		return str_ncasecmp(dom, parent, len) == 0;
	return len > plen && dom[len - plen - 1] == '.' &&
	       str_ncasecmp(dom + len - plen, parent, plen) == 0;
}

/* A domain name as RFC 6376 3.5 d= / s= need: dot-separated labels of letters, digits,
 * '-' and '_' (selectors and underscore names), none empty. */
static bool
valid_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* Decimal of at most max_digits digits (RFC 6376: l= 76, t=/x= 12), fitting in 64 bits. */
static int
parse_number(const struct tag *t, size_t max_digits, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (t->value_len == 0 || t->value_len > max_digits)
		return -1;
	for (i = 0; i < t->value_len; i++) {
		unsigned d = (unsigned)(t->value[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*v_r = v;
	return 0;
}

static int
parse_alg(struct dkim_sig *sig, const struct tag *a)
{
	if (tag_value_is_ci(a, "rsa-sha256"))
		sig->alg = DKIM_ALG_RSA_SHA256;
	else if (tag_value_is_ci(a, "ed25519-sha256"))
		sig->alg = DKIM_ALG_ED25519_SHA256;
	else if (tag_value_is_ci(a, "rsa-sha1"))
		sig->alg = DKIM_ALG_RSA_SHA1;
	else
		return -1;
	return 0;
}

static int
canon_of(const char *s, size_t len, enum dkim_canon *c_r)
{
	if (len == 6 && str_ncasecmp(s, "simple", 6) == 0)
		*c_r = DKIM_CANON_SIMPLE;
	else if (len == 7 && str_ncasecmp(s, "relaxed", 7) == 0)
		*c_r = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* c= "header/body"; "x" alone means x/simple (RFC 6376 3.5). Default simple/simple. */
static int
parse_canon(struct dkim_sig *sig, const struct tag *c)
{
	const char *slash;

	sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE;
	if (c == NULL)
		return 0;
	slash = memchr(c->value, '/', c->value_len);
	if (slash == NULL)
		return canon_of(c->value, c->value_len, &sig->hcanon);
	if (canon_of(c->value, (size_t)(slash - c->value), &sig->hcanon) < 0)
		return -1;
	return canon_of(slash + 1, c->value_len - (size_t)(slash - c->value) - 1, &sig->bcanon);
}

static int
add_header(const char *item, size_t len, void *ctx)
{
	struct dkim_sig *sig = ctx;
	size_t i;

	if (len == 0 || sig->n_headers == DKIM_SIG_MAX_HEADERS)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)item[i] <= 0x20 || item[i] == ':' ||
		    (unsigned char)item[i] >= 0x7f)
			return -1;
	sig->headers = xrealloc(sig->headers, (sig->n_headers + 1) * sizeof(char *));
	sig->headers[sig->n_headers] = xstrndup(item, len);
	str_lower(sig->headers[sig->n_headers]);
	sig->n_headers++;
	return 0;
}

static int
find_dns_txt(const char *item, size_t len, void *ctx)
{
	bool *found = ctx;

	/* "dns/txt" (RFC 6376 3.5 q=); the method name is case-insensitive, "dns" alone too */
	if ((len == 7 && str_ncasecmp(item, "dns/txt", 7) == 0) ||
	    (len == 3 && str_ncasecmp(item, "dns", 3) == 0))
		*found = true;
	return 0;
}

static int
parse_base64(struct buf *out, const struct tag *t)
{
	struct buf clean = BUF_INIT;
	int ret;

	dkim_strip_fws(&clean, t->value, t->value_len);
	ret = clean.len == 0 ? -1 : base64_decode(out, buf_cstr(&clean), clean.len);
	buf_free(&clean);
	return ret;
}

/* i= (RFC 6376 3.5): [local-part] "@" domain, the domain d= or a subdomain of it. */
static int
parse_identity(struct dkim_sig *sig, const struct tag *i, const char **error_r)
{
	const char *at;

	if (i == NULL) {
		sig->identity = xasprintf("@%s", sig->domain);
		return 0;
	}
	at = memrchr(i->value, '@', i->value_len);
	if (at == NULL || !valid_name(at + 1, i->value_len - (size_t)(at + 1 - i->value))) {
		*error_r = "bad i= identity";
		return -1;
	}
	if (!dkim_domain_within(at + 1, i->value_len - (size_t)(at + 1 - i->value), sig->domain)) {
		*error_r = "i= domain is not within d=";
		return -1;
	}
	sig->identity = xstrndup(i->value, i->value_len);
	return 0;
}

static bool
headers_have_from(const struct dkim_sig *sig)
{
	size_t i;

	for (i = 0; i < sig->n_headers; i++)
		if (strcmp(sig->headers[i], "from") == 0)
			return true;
	return false;
}

static int
check_numbers(struct dkim_sig *sig, const struct tag_list *tl, const char **error_r)
{
	const struct tag *l = tag_list_get(tl, "l"), *t = tag_list_get(tl, "t"),
			 *x = tag_list_get(tl, "x");

	if (l != NULL) {
		if (parse_number(l, 76, &sig->length) < 0) {
			*error_r = "bad l= body length";
			return -1;
		}
		sig->has_length = true;
	}
	if (t != NULL) {
		if (parse_number(t, 12, &sig->timestamp) < 0) {
			*error_r = "bad t= timestamp";
			return -1;
		}
		sig->has_timestamp = true;
	}
	if (x != NULL) {
		if (parse_number(x, 12, &sig->expire) < 0) {
			*error_r = "bad x= expiration";
			return -1;
		}
		sig->has_expire = true;
		/* RFC 6376 3.5 x=: "MUST be greater than the value of the "t=" tag" */
		if (sig->has_timestamp && sig->expire <= sig->timestamp) {
			*error_r = "x= is not after t=";
			return -1;
		}
	}
	return 0;
}

static int
parse_required(struct dkim_sig *sig, const struct tag_list *tl, bool arc, const char **error_r)
{
	const struct tag *v = tag_list_get(tl, "v"), *a = tag_list_get(tl, "a"),
			 *b = tag_list_get(tl, "b"), *bh = tag_list_get(tl, "bh"),
			 *h = tag_list_get(tl, "h");

	/* RFC 8617 4.1.2: the AMS defines no v= ("if seen, a version tag MUST be ignored") */
	if ((v == NULL && !arc) || a == NULL || b == NULL || bh == NULL || h == NULL) {
		*error_r = "signature missing required tag";
		return -1;
	}
	if (!arc && !tag_value_is(v, "1")) {
		*error_r = "incompatible version";
		return -1;
	}
	if (parse_alg(sig, a) < 0) {
		*error_r = "unsupported algorithm";
		return -1;
	}
	if (parse_base64(&sig->b, b) < 0 || parse_base64(&sig->bh, bh) < 0) {
		*error_r = "bad base64 in b= or bh=";
		return -1;
	}
	{
		struct buf t = BUF_INIT;

		dkim_strip_fws(&t, b->value, b->value_len);
		sig->b_text = buf_steal(&t);
	}
	if (tag_value_split(h->value, h->value_len, ':', add_header, sig) < 0) {
		*error_r = "bad h= header list";
		return -1;
	}
	if (!headers_have_from(sig)) {
		*error_r = "From field not signed";
		return -1;
	}
	return 0;
}

static int
sig_parse(struct dkim_sig *sig, const char *value, size_t len, bool arc, const char **error_r)
{
	struct tag_list tl;
	const struct tag *d, *s, *q;
	bool dns = false;

	memset(sig, 0, sizeof(*sig));
	if (tag_list_parse(&tl, value, len, error_r) < 0)
		return -1;
	d = tag_list_get(&tl, "d");
	s = tag_list_get(&tl, "s");
	if (d == NULL || s == NULL) {
		*error_r = "signature missing required tag";
		return -1;
	}
	if (!valid_name(d->value, d->value_len) || !valid_name(s->value, s->value_len)) {
		*error_r = "bad d= or s=";
		return -1;
	}
	sig->domain = xstrndup(d->value, d->value_len);
	str_lower(sig->domain);
	sig->selector = xstrndup(s->value, s->value_len);
	if (parse_required(sig, &tl, arc, error_r) < 0)
		return -1;
	if (parse_canon(sig, tag_list_get(&tl, "c")) < 0) {
		*error_r = "unsupported canonicalization";
		return -1;
	}
	q = tag_list_get(&tl, "q");
	if (q != NULL &&
	    (tag_value_split(q->value, q->value_len, ':', find_dns_txt, &dns) < 0 || !dns)) {
		*error_r = "unsupported query method";
		return -1;
	}
	/* RFC 8617 4.1.2: in the AMS i= is the instance, not an identity (the caller reads it) */
	if (parse_identity(sig, arc ? NULL : tag_list_get(&tl, "i"), error_r) < 0)
		return -1;
	return check_numbers(sig, &tl, error_r);
}

int
dkim_sig_parse(struct dkim_sig *sig, const char *value, size_t len, const char **error_r)
{
	return sig_parse(sig, value, len, false, error_r);
}

int
dkim_sig_parse_seal(struct dkim_sig *sig, const char *value, size_t len, const char **error_r)
{
	struct tag_list tl;
	const struct tag *a, *b, *d, *s, *t;

	memset(sig, 0, sizeof(*sig));
	if (tag_list_parse(&tl, value, len, error_r) < 0)
		return -1;
	a = tag_list_get(&tl, "a");
	b = tag_list_get(&tl, "b");
	d = tag_list_get(&tl, "d");
	s = tag_list_get(&tl, "s");
	t = tag_list_get(&tl, "t");
	if (a == NULL || b == NULL || d == NULL || s == NULL) {
		*error_r = "seal missing required tag";
		return -1;
	}
	if (!valid_name(d->value, d->value_len) || !valid_name(s->value, s->value_len)) {
		*error_r = "bad d= or s=";
		return -1;
	}
	sig->domain = xstrndup(d->value, d->value_len);
	str_lower(sig->domain);
	sig->selector = xstrndup(s->value, s->value_len);
	sig->identity = xasprintf("@%s", sig->domain);
	/* RFC 8617 4.1.3: the seal signs its header fields in relaxed canonicalization and
	 * has no h= (its scope is fixed: the ARC sets, 5.1.1.3) */
	sig->hcanon = sig->bcanon = DKIM_CANON_RELAXED;
	if (tag_list_get(&tl, "h") != NULL) {
		*error_r = "h= is not allowed in ARC-Seal";
		return -1;
	}
	if (parse_alg(sig, a) < 0) {
		*error_r = "unsupported algorithm";
		return -1;
	}
	if (parse_base64(&sig->b, b) < 0) {
		*error_r = "bad base64 in b=";
		return -1;
	}
	{
		struct buf bt = BUF_INIT;

		dkim_strip_fws(&bt, b->value, b->value_len);
		sig->b_text = buf_steal(&bt);
	}
	if (t != NULL) {
		if (parse_number(t, 12, &sig->timestamp) < 0) {
			*error_r = "bad t= timestamp";
			return -1;
		}
		sig->has_timestamp = true;
	}
	return 0;
}

int
dkim_sig_parse_ams(struct dkim_sig *sig, const char *value, size_t len, const char **error_r)
{
	return sig_parse(sig, value, len, true, error_r);
}

void
dkim_sig_clear(struct dkim_sig *sig)
{
	size_t i;

	free(sig->domain);
	free(sig->selector);
	free(sig->identity);
	for (i = 0; i < sig->n_headers; i++)
		free(sig->headers[i]);
	free(sig->headers);
	buf_free(&sig->b);
	buf_free(&sig->bh);
	free(sig->b_text);
	memset(sig, 0, sizeof(*sig));
}
