/* Organizational domains (RFC 7489 3.2) with the Public Suffix List (libpsl, the list Debian's
 * publicsuffix package ships, else libpsl's built-in copy), and identifier alignment (3.1). */
#ifndef MAILAUTH_DMARC_ORG_H
#define MAILAUTH_DMARC_ORG_H
#include <stdbool.h>
#include <stddef.h>

#include "mailauth/dmarc_record.h"

#define DMARC_DOMAIN_MAX 256 /* 253 octets, a trailing dot and the NUL, with room */

/* Writes the organizational domain of domain into out (lower-cased, no trailing dot): the
 * public suffix plus one label (3.2 steps 3-4). A domain that is itself a public suffix (or
 * has no registrable part) is its own organizational domain. Returns false when domain is
 * empty or longer than DMARC_DOMAIN_MAX - 1. Thread-safe: the list is loaded once. */
bool dmarc_org_domain(const char *domain, char out[DMARC_DOMAIN_MAX]);

/* Identifier alignment (3.1.1 DKIM d=, 3.1.2 SPF MAIL FROM domain) of id with the RFC5322.From
 * domain from: strict = the same name (ASCII case-insensitive, a trailing dot ignored);
 * relaxed = the same organizational domain. */
bool dmarc_aligned(const char *from, const char *id, enum dmarc_align mode);

/* Where the suffix list came from: "latest" (psl_latest(NULL): the newer of the distribution
 * file, psl_dist_filename(), and libpsl's built-in copy) or "builtin" (psl_latest failed). */
const char *dmarc_org_source(void);

#endif
