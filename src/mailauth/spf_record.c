/* SPF record parser (RFC 7208 12 ABNF). See spf_record.h. */
#include "mailauth/spf_record.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_macro.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char *const spf_result_names[] = {
	[SPF_RESULT_NONE] = "none",           [SPF_RESULT_NEUTRAL] = "neutral",
	[SPF_RESULT_PASS] = "pass",           [SPF_RESULT_FAIL] = "fail",
	[SPF_RESULT_SOFTFAIL] = "softfail",   [SPF_RESULT_TEMPERROR] = "temperror",
	[SPF_RESULT_PERMERROR] = "permerror",
};

const char *
spf_result_name(enum spf_result result)
{
	return spf_result_names[result];
}

static const struct {
	const char *name;
	enum spf_mech mech;
} spf_mechs[] = {
	{"all", SPF_MECH_ALL}, {"include", SPF_MECH_INCLUDE}, {"a", SPF_MECH_A},
	{"mx", SPF_MECH_MX},   {"ptr", SPF_MECH_PTR},         {"ip4", SPF_MECH_IP4},
	{"ip6", SPF_MECH_IP6}, {"exists", SPF_MECH_EXISTS},
};

bool
spf_record_is_spf(const char *txt)
{
	return str_ncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == '\0' || txt[6] == ' ');
}

void
spf_record_free(struct spf_record **recp)
{
	struct spf_record *rec = *recp;
	size_t i;

	if (rec == NULL)
		return;
	*recp = NULL;
	for (i = 0; i < rec->n_terms; i++)
		free(rec->terms[i].domain);
	free(rec->terms);
	free(rec->redirect);
	free(rec->exp);
	free(rec);
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
spf_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, hyphen = false;
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '-')
			hyphen = true;
		else if (isalpha(ch))
			alpha = true;
		else if (!isdigit(ch))
			return false;
	}
	return alpha || hyphen;
}

/* Whether the last token of a (syntactically valid) macro-string is a macro-expand. */
static bool
spf_ends_with_macro(const char *s, size_t len)
{
	size_t i = 0;
	bool macro = false;

	while (i < len) {
		if (s[i] != '%') {
			macro = false;
			i++;
		} else if (s[i + 1] == '{') {
			const char *close = memchr(s + i, '}', len - i);
			i = (size_t)(close - s) + 1;
			macro = true;
		} else {
			macro = true;
			i += 2;
		}
	}
	return macro;
}

/* domain-spec = macro-string domain-end;
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static int
spf_domain_spec_check(const char *s, size_t len, const char **error_r)
{
	size_t end = len, dot;

	if (len == 0) {
		*error_r = "empty domain-spec";
		return -1;
	}
	if (spf_macro_check(s, len, false, error_r) < 0)
		return -1;
	if (spf_ends_with_macro(s, len))
		return 0;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0 || !spf_toplabel_ok(s + dot, end - dot)) {
		*error_r = "domain-spec does not end with a top label";
		return -1;
	}
	return 0;
}

/* "/" ("0" / %x31-39 0*2DIGIT), at most max */
static int
spf_cidr_parse(const char *s, size_t len, unsigned max, unsigned *value_r)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* Strips a dual-cidr-length ( [ "/" n4 ] [ "//" n6 ] ) from the end of s[0..*len). */
static int
spf_dual_cidr(const char *s, size_t *len, struct spf_term *t, bool v4, bool v6,
	      const char **error_r)
{
	size_t n = *len, i;

	*error_r = "bad CIDR length";
	for (i = n; i > 0 && isdigit((unsigned char)s[i - 1]); i--)
		;
	if (v6 && i < n && i >= 2 && s[i - 1] == '/' && s[i - 2] == '/') {
		if (spf_cidr_parse(s + i, n - i, 128, &t->cidr6) < 0)
			return -1;
		n = i - 2;
		for (i = n; i > 0 && isdigit((unsigned char)s[i - 1]); i--)
			;
	}
	if (v4 && i < n && i >= 1 && s[i - 1] == '/' && !(i >= 2 && s[i - 2] == '/')) {
		if (spf_cidr_parse(s + i, n - i, 32, &t->cidr4) < 0)
			return -1;
		n = i - 1;
	}
	*len = n;
	return 0;
}

/* The part of a mechanism after its name: [ ":" domain-spec ] [ cidr ]. */
static int
spf_mech_args(struct spf_term *t, const char *s, size_t len, const char **error_r)
{
	bool domain_allowed = t->mech != SPF_MECH_ALL;
	bool domain_required = t->mech == SPF_MECH_INCLUDE || t->mech == SPF_MECH_EXISTS;
	bool dual = t->mech == SPF_MECH_A || t->mech == SPF_MECH_MX;

	if (t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6) {
		bool v6 = t->mech == SPF_MECH_IP6;
		char addr[INET6_ADDRSTRLEN + 1];
		size_t alen;

		t->cidr4 = v6 ? 128 : 32;
		if (len < 1 || s[0] != ':') {
			*error_r = "ip4/ip6 without an address";
			return -1;
		}
		s++;
		len--;
		for (alen = 0; alen < len && s[alen] != '/'; alen++)
			;
		if (alen < len &&
		    spf_cidr_parse(s + alen + 1, len - alen - 1, v6 ? 128 : 32, &t->cidr4) < 0) {
			*error_r = "bad CIDR length";
			return -1;
		}
		if (alen == 0 || alen >= sizeof(addr)) {
			*error_r = "bad IP address";
			return -1;
		}
		memcpy(addr, s, alen);
		addr[alen] = '\0';
		if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, t->ip) != 1) {
			*error_r = "bad IP address";
			return -1;
		}
		if (v6) {
			t->cidr6 = t->cidr4;
			t->cidr4 = 32;
		}
		return 0;
	}
	if (dual && spf_dual_cidr(s, &len, t, true, true, error_r) < 0)
		return -1;
	if (len == 0) {
		if (domain_required) {
			*error_r = "mechanism needs a domain";
			return -1;
		}
		return 0;
	}
	if (s[0] != ':' || !domain_allowed) {
		*error_r = "unknown mechanism";
		return -1;
	}
	if (spf_domain_spec_check(s + 1, len - 1, error_r) < 0)
		return -1;
	t->domain = xstrndup(s + 1, len - 1);
	return 0;
}

/* modifier: name "=" macro-string */
static int
spf_modifier(struct spf_record *rec, const char *name, size_t nlen, const char *val, size_t vlen,
	     const char **error_r)
{
	char **slot = NULL;

	if (nlen == 8 && str_ncasecmp(name, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (nlen == 3 && str_ncasecmp(name, "exp", 3) == 0)
		slot = &rec->exp;
	if (slot == NULL) /* RFC 7208 6: unknown modifiers are ignored, but must parse */
		return spf_macro_check(val, vlen, false, error_r);
	if (*slot != NULL) {
		*error_r = "redirect= or exp= appears twice";
		return -1;
	}
	if (spf_domain_spec_check(val, vlen, error_r) < 0)
		return -1;
	*slot = xstrndup(val, vlen);
	return 0;
}

static int
spf_term_parse(struct spf_record *rec, size_t *cap, const char *s, size_t len, const char **error_r)
{
	enum spf_result q = SPF_RESULT_PASS;
	struct spf_term t;
	size_t nlen = 0, i;
	const char *qual = strchr("+-~?", s[0]);

	if (qual != NULL && s[0] != '\0') {
		static const enum spf_result quals[] = {SPF_RESULT_PASS, SPF_RESULT_FAIL,
							SPF_RESULT_SOFTFAIL, SPF_RESULT_NEUTRAL};
		q = quals[qual - "+-~?"];
		s++;
		len--;
	}
	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (len > 0 && isalpha((unsigned char)s[0])) {
		for (nlen = 1; nlen < len &&
			       (isalnum((unsigned char)s[nlen]) || strchr("-_.", s[nlen]) != NULL);
		     nlen++)
			;
	}
	if (nlen > 0 && nlen < len && s[nlen] == '=') {
		if (qual != NULL) {
			*error_r = "a modifier with a qualifier";
			return -1;
		}
		return spf_modifier(rec, s, nlen, s + nlen + 1, len - nlen - 1, error_r);
	}
	memset(&t, 0, sizeof(t));
	t.qualifier = q;
	t.cidr4 = 32;
	t.cidr6 = 128;
	for (nlen = 0; nlen < len && isalnum((unsigned char)s[nlen]); nlen++)
		;
	for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++) {
		if (strlen(spf_mechs[i].name) == nlen &&
		    str_ncasecmp(s, spf_mechs[i].name, nlen) == 0)
			break;
	}
	if (i == sizeof(spf_mechs) / sizeof(spf_mechs[0])) {
		*error_r = "unknown mechanism";
		return -1;
	}
	t.mech = spf_mechs[i].mech;
	if (spf_mech_args(&t, s + nlen, len - nlen, error_r) < 0)
		return -1;
	rec->terms = xgrow(rec->terms, cap, rec->n_terms + 1, sizeof(*rec->terms));
	rec->terms[rec->n_terms++] = t;
	return 0;
}

int
spf_record_parse(const char *text, struct spf_record **rec_r, const char **error_r)
{
	struct spf_record *rec;
	const char *p;
	size_t cap = 0;

	if (!spf_record_is_spf(text)) {
		*error_r = "not an SPF record";
		return -1;
	}
	rec = xcalloc(1, sizeof(*rec));
	/* terms = *( 1*SP ( directive / modifier ) ); record = version terms *SP */
	for (p = text + 6; *p != '\0';) {
		size_t len;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (len = 0; p[len] != '\0' && p[len] != ' '; len++)
			;
		if (spf_term_parse(rec, &cap, p, len, error_r) < 0) {
			spf_record_free(&rec);
			return -1;
		}
		p += len;
	}
	*rec_r = rec;
	return 0;
}
