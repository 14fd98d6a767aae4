/* Per client IP delay after failed logins: the reply to a failed AUTH/LOGIN/PASS is held
 * back base * 2^(n-1) ms after the n-th recent failure of that IP, capped; a success
 * resets the IP. The table is bounded (oldest entries evicted) and entries expire. An
 * IPv6 client counts by its /64; an IPv4-mapped IPv6 address as the IPv4 address.
 * Not thread-safe: used from the event loop thread only. */
#ifndef AUTH_PENALTY_H
#define AUTH_PENALTY_H
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#define PENALTY_MAX_DELAY_MS 15000
#define PENALTY_DEFAULT_ENTRIES 4096
#define PENALTY_DEFAULT_EXPIRE 900 /* seconds without failure after which an IP is forgotten */

struct penalty;

/* base_ms: delay after the first failure (0 disables delays); max_ms: the cap;
 * max_entries: table bound (> 0); expire_s: lifetime of an entry after its last failure. */
struct penalty *penalty_new(unsigned base_ms, unsigned max_ms, size_t max_entries,
			    unsigned expire_s);
void penalty_free(struct penalty **p);
/* Records a failure of sa's IP at time now; returns the delay in ms to apply before
 * replying. IPv4-mapped IPv6 addresses count as their IPv4 address. */
unsigned penalty_fail(struct penalty *p, const struct sockaddr *sa, time_t now);
/* The delay the next failure of this IP would get (0 if none recorded). */
unsigned penalty_peek(struct penalty *p, const struct sockaddr *sa, time_t now);
/* Forgets the IP (successful login). */
void penalty_success(struct penalty *p, const struct sockaddr *sa);
/* Number of IPs currently tracked. */
size_t penalty_count(const struct penalty *p);
/* The login bans (ban.h) that travel with the penalty to every protocol's login: the
 * penalty takes b (frees it in penalty_free). NULL: no bans. */
struct ban;
void penalty_set_ban(struct penalty *p, struct ban *b);
struct ban *penalty_ban(const struct penalty *p);

#endif
