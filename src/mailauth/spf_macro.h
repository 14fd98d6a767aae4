/* SPF macro strings (RFC 7208 7): syntax check and expansion of the domain-specs of an SPF
 * record and of the explanation text of exp=. Pure: the values come from the caller. */
#ifndef MAILAUTH_SPF_MACRO_H
#define MAILAUTH_SPF_MACRO_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* The values of the macro letters (RFC 7208 7.2). NULL strings expand as empty, except p,
 * which expands as "unknown" when NULL. */
struct spf_macro_vars {
	const char *s;        /* <sender>: local-part@domain */
	const char *l;        /* local-part of <sender> */
	const char *o;        /* domain of <sender> */
	const char *d;        /* <domain>: the domain being checked */
	const char *i;        /* <ip>: dotted quad, or 32 dot-separated nibbles for IPv6 */
	const char *p;        /* validated domain name of <ip> (RFC 7208 7.3), NULL = "unknown" */
	const char *v;        /* "in-addr" or "ip6" */
	const char *h;        /* HELO/EHLO domain */
	const char *c;        /* exp only: <ip> in its ordinary text form */
	const char *r;        /* exp only: the receiving host's domain */
	unsigned long long t; /* exp only: the current time, seconds since the epoch */
};

/* Appends the expansion of macro-string s[0..len) to out. in_exp allows the letters c, r
 * and t (RFC 7208 7.2: explanation strings only). -1 with *error_r (static text) on a
 * syntax error, which the caller turns into permerror. */
int spf_macro_expand(const char *s, size_t len, const struct spf_macro_vars *vars, bool in_exp,
		     struct buf *out, const char **error_r);

/* Syntax check only: 0 or -1 with *error_r. */
int spf_macro_check(const char *s, size_t len, bool in_exp, const char **error_r);

/* True when s[0..len) has a %{p} macro, whose value needs DNS lookups. */
bool spf_macro_uses_p(const char *s, size_t len);

/* A domain-spec: expanded (never in_exp), a trailing dot removed, then shortened from the
 * left, a label at a time, until it is at most 253 octets (RFC 7208 7.3). */
int spf_macro_expand_domain(const char *s, const struct spf_macro_vars *vars, struct buf *out,
			    const char **error_r);

#endif
