/* The SPF resolver interface (spf_resolver.h) over src/dns: c-ares on the event loop,
 * through the shared answer cache. */
#ifndef MAILAUTH_SPF_DNS_H
#define MAILAUTH_SPF_DNS_H
#include "dns/dns.h"
#include "mailauth/spf_resolver.h"

/* dns must outlive the checks that use the resolver. */
struct spf_resolver spf_dns_resolver(struct dns *dns);

#endif
