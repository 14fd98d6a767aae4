/* SPF records (RFC 7208 4.5, 5, 6, 12): recognising one among a domain's TXT records and
 * parsing it into directives and the redirect= and exp= modifiers. Pure. */
#ifndef MAILAUTH_SPF_RECORD_H
#define MAILAUTH_SPF_RECORD_H
#include <stdbool.h>
#include <stddef.h>

/* The results of check_host() (RFC 7208 2.6); also the qualifiers of directives (4.6.2):
 * "+" pass, "-" fail, "~" softfail, "?" neutral. */
enum spf_result {
	SPF_RESULT_NONE,
	SPF_RESULT_NEUTRAL,
	SPF_RESULT_PASS,
	SPF_RESULT_FAIL,
	SPF_RESULT_SOFTFAIL,
	SPF_RESULT_TEMPERROR,
	SPF_RESULT_PERMERROR,
};

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	enum spf_result qualifier;
	char *domain;   /* domain-spec (a macro string), NULL when absent */
	unsigned cidr4; /* prefix lengths: 32 and 128 when absent */
	unsigned cidr6;
	unsigned char ip[16]; /* ip4 (first 4 octets) and ip6 networks */
};

struct spf_record {
	struct spf_term *terms;
	size_t n_terms;
	char *redirect; /* domain-specs of redirect= and exp=, NULL when absent */
	char *exp;
};

/* RFC 7208 4.5: a TXT record is an SPF record when it is "v=spf1" alone or followed by a
 * space, case-insensitively. */
bool spf_record_is_spf(const char *txt);

/* Parses an SPF record (the text of one TXT record, its strings joined). Any syntax error
 * is a permerror (RFC 7208 4.6): -1 with *error_r (static text). Unknown modifiers are
 * checked and ignored (6); a second redirect= or exp= is an error (6). */
int spf_record_parse(const char *text, struct spf_record **rec_r, const char **error_r);
void spf_record_free(struct spf_record **rec);

const char *spf_result_name(enum spf_result result);

#endif
