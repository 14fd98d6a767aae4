/* DNS response parsing (RFC 1035 4.1) for the record cache: the records of the type asked
 * in text form, and how long the answer may be cached. Pure. */
#ifndef DNS_DNS_ANSWER_H
#define DNS_DNS_ANSWER_H
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

/* The answer section's records of type qtype (those of other types, such as the CNAMEs
 * that led to them, are skipped) as struct dns_rr (see dns.h for the text forms), and
 * *ttl_r: the least TTL of the answer section, or for an answer without records the
 * negative-caching TTL of RFC 2308 5, min(SOA TTL, SOA MINIMUM) from the authority
 * section, 0 without an SOA. -1 on a malformed message. Free *rrs_r with dns_rrs_free. */
int dns_answer_parse(const unsigned char *msg, size_t len, unsigned qtype, struct dns_rr **rrs_r,
		     size_t *n_r, uint32_t *ttl_r);
void dns_rrs_free(struct dns_rr **rrs, size_t *n);

#endif
