/* DMARC record parsing (RFC 7489 6.3 tags, 6.4 ABNF, 6.6.3 invalid records). */
#include "mailauth/dmarc_record.h"

#include <string.h>

#include "mailauth/tag_list.h"

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_UNSET:
		break;
	}
	return "unset";
}

/* dmarc-request = "none" / "quarantine" / "reject"; RFC 7489 6.4 ABNF literals are
 * case-insensitive (RFC 5234 2.3). UNSET when not one of them. */
static enum dmarc_policy
parse_policy(const struct tag *t)
{
	if (tag_value_is_ci(t, "none"))
		return DMARC_POLICY_NONE;
	if (tag_value_is_ci(t, "quarantine"))
		return DMARC_POLICY_QUARANTINE;
	if (tag_value_is_ci(t, "reject"))
		return DMARC_POLICY_REJECT;
	return DMARC_POLICY_UNSET;
}

static enum dmarc_align
parse_align(const struct tag *t)
{
	if (t != NULL && tag_value_is_ci(t, "s"))
		return DMARC_ALIGN_STRICT;
	return DMARC_ALIGN_RELAXED; /* "r", absent or invalid: the default */
}

/* 1*DIGIT with a bound; false on anything else or an overflow past max. */
static bool
parse_number(const struct tag *t, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (t->value_len == 0)
		return false;
	for (size_t i = 0; i < t->value_len; i++) {
		char c = t->value[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned long)(c - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; URI per RFC 3986 needs
 * scheme ":" with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int
uri_ok(const char *s, size_t len, void *ctx)
{
	bool *any = ctx;
	size_t i = 0;
	const char *bang = memchr(s, '!', len);
	size_t ulen = bang ? (size_t)(bang - s) : len;

	if (ulen == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return -1;
	for (i = 1; i < ulen && s[i] != ':'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return -1;
	}
	if (i >= ulen || i + 1 == ulen) /* no ':' or nothing after it */
		return -1;
	for (size_t j = 0; j < ulen; j++)
		if ((unsigned char)s[j] <= ' ' || s[j] == ',' || s[j] == ';')
			return -1;
	if (bang != NULL) {
		size_t k = ulen + 1, digits = 0;
		while (k < len && s[k] >= '0' && s[k] <= '9') {
			k++;
			digits++;
		}
		if (digits == 0)
			return -1;
		if (k < len && strchr("kmgtKMGT", s[k]) != NULL)
			k++;
		if (k != len)
			return -1;
	}
	*any = true;
	return 0;
}

bool
dmarc_uri_list_valid(const char *s, size_t len)
{
	bool any = false;

	if (tag_value_split(s, len, ',', uri_ok, &any) < 0)
		return false;
	return any;
}

enum dmarc_record_status
dmarc_record_parse(const char *s, size_t len, struct dmarc_record *r, const char **error_r)
{
	struct tag_list tl;
	const char *err = NULL;
	const struct tag *t;
	bool sp_bad = false;
	unsigned long n;

	memset(r, 0, sizeof(*r));
	r->pct = 100;
	r->ri = 86400;
	if (error_r != NULL)
		*error_r = NULL;
	/* 6.6.3 step 2: records that do not start with "v=DMARC1" are discarded; a record that
	 * is not even a tag list cannot be one. */
	if (tag_list_parse(&tl, s, len, &err) < 0) {
		if (error_r != NULL)
			*error_r = err;
		return DMARC_RECORD_NOT_DMARC;
	}
	if (tl.count == 0 || tl.tags[0].name_len != 1 || tl.tags[0].name[0] != 'v' ||
	    !tag_value_is(&tl.tags[0], "DMARC1")) {
		if (error_r != NULL)
			*error_r = "v=DMARC1 is not the first tag";
		return DMARC_RECORD_NOT_DMARC;
	}
	if ((t = tag_list_get(&tl, "rua")) != NULL) {
		r->rua = t->value;
		r->rua_len = t->value_len;
	}
	if ((t = tag_list_get(&tl, "ruf")) != NULL) {
		r->ruf = t->value;
		r->ruf_len = t->value_len;
	}
	if ((t = tag_list_get(&tl, "fo")) != NULL) {
		r->fo = t->value;
		r->fo_len = t->value_len;
	}
	if ((t = tag_list_get(&tl, "rf")) != NULL) {
		r->rf = t->value;
		r->rf_len = t->value_len;
	}
	if ((t = tag_list_get(&tl, "p")) != NULL)
		r->p = parse_policy(t);
	if ((t = tag_list_get(&tl, "sp")) != NULL) {
		r->sp = parse_policy(t);
		sp_bad = r->sp == DMARC_POLICY_UNSET;
	}
	if ((t = tag_list_get(&tl, "np")) != NULL)
		r->np = parse_policy(t); /* RFC 9091 4: an invalid np is ignored */
	r->adkim = parse_align(tag_list_get(&tl, "adkim"));
	r->aspf = parse_align(tag_list_get(&tl, "aspf"));
	if ((t = tag_list_get(&tl, "pct")) != NULL && parse_number(t, 100, &n))
		r->pct = (unsigned)n;
	if ((t = tag_list_get(&tl, "ri")) != NULL && parse_number(t, 4294967295UL, &n))
		r->ri = n;
	/* 6.6.3: no valid p, or an invalid sp: with a valid rua URI act as if p=none was
	 * published, else no DMARC processing. */
	if (r->p == DMARC_POLICY_UNSET || sp_bad) {
		if (r->rua == NULL || !dmarc_uri_list_valid(r->rua, r->rua_len)) {
			if (error_r != NULL)
				*error_r = r->p == DMARC_POLICY_UNSET ? "no valid p= tag"
								      : "invalid sp= tag";
			return DMARC_RECORD_INVALID;
		}
		r->p = DMARC_POLICY_NONE;
		r->sp = DMARC_POLICY_UNSET;
		r->p_inferred = true;
	}
	return DMARC_RECORD_OK;
}
