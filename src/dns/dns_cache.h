/* A cache of DNS answers (records of one type for one name, or a negative answer) that
 * honours TTLs (RFC 1035 3.2.1, RFC 2308 5 for NXDOMAIN/NODATA) and holds at most a given
 * number of answers, dropping the least recently used. Temporary failures are never
 * cached. One per struct dns (dns_new), shared by all its lookups; loop thread only. */
#ifndef DNS_DNS_CACHE_H
#define DNS_DNS_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"

#define DNS_CACHE_DEFAULT_SIZE 10000
/* TTLs are capped, so a bad record does not stay forever (Postfix's and Unbound's caches
 * cap at a day) */
#define DNS_CACHE_MAX_TTL 86400

struct dns_cache;

/* Monotonic seconds; NULL = CLOCK_MONOTONIC. Tests inject their own. */
typedef uint64_t dns_cache_clock(void *ctx);

/* max_entries 0: caches nothing. */
struct dns_cache *dns_cache_new(size_t max_entries, dns_cache_clock *clock, void *clock_ctx);
void dns_cache_free(struct dns_cache **cache);
void dns_cache_set_size(struct dns_cache *cache, size_t max_entries);
size_t dns_cache_count(const struct dns_cache *cache);

/* The cached answer for (type, name), name compared case-insensitively and without a
 * trailing dot: 1 with *status_r (DNS_OK, DNS_NXDOMAIN or DNS_NODATA) and the records,
 * valid until the next call that changes the cache; 0 when absent or expired. */
int dns_cache_get(struct dns_cache *cache, unsigned type, const char *name,
		  enum dns_status *status_r, const struct dns_rr **rrs_r, size_t *n_r);
/* Stores an answer for ttl seconds (capped at DNS_CACHE_MAX_TTL; 0 stores nothing, as
 * does status DNS_TEMPFAIL). */
void dns_cache_put(struct dns_cache *cache, unsigned type, const char *name, enum dns_status status,
		   const struct dns_rr *rrs, size_t n, uint32_t ttl);

#endif
