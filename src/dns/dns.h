/* Asynchronous DNS on the libevent loop (c-ares): MX and address (A/AAAA) lookups, and
 * the next-hop route of a mail domain per RFC 5321 5.1 (dns_route_lookup). Callbacks run
 * on the loop thread; those of dns_lookup_* may run inside the starting call (then it
 * returns NULL), those of dns_route_lookup never do. */
#ifndef DNS_DNS_H
#define DNS_DNS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct dns;
struct dns_query;
struct event_base;

enum dns_status {
	DNS_OK,
	DNS_NXDOMAIN, /* the name does not exist */
	DNS_NODATA,   /* the name exists but has no record of the type asked */
	DNS_TEMPFAIL, /* timeout, SERVFAIL, refused, unreachable server: try again later */
};

/* resolvers: NULL-terminated "addr[:port]" list (IPv6 as "[addr]:port" or a bare
 * address), or NULL to use /etc/resolv.conf. NULL with *error_r (static text). */
struct dns *dns_new(struct event_base *base, const char *const *resolvers, const char **error_r);
struct event_base *dns_event_base(struct dns *dns);
/* Outstanding lookups are dropped without their callbacks. */
void dns_free(struct dns **dns);
/* Drops a lookup: its callback will not run. q must be pending (not NULL, no callback yet). */
void dns_cancel(struct dns_query *q);

struct dns_mx {
	char *host; /* "" for the null MX "." (RFC 7505) */
	unsigned pref;
};

/* error: a short static text for logs when status != DNS_OK. On DNS_OK, mx[0..n) are in
 * the order to try (dns_mx_order) and valid only during the callback. */
typedef void dns_mx_cb(void *ctx, enum dns_status status, const struct dns_mx *mx, size_t n,
		       const char *error);
struct dns_query *dns_lookup_mx(struct dns *dns, const char *domain, dns_mx_cb *cb, void *ctx);

/* addrs (AF_INET/AF_INET6, port 0) valid only during the callback; DNS_NODATA when the
 * name has neither A nor AAAA records. */
typedef void dns_addr_cb(void *ctx, enum dns_status status, const struct sockaddr_storage *addrs,
			 size_t n, const char *error);
struct dns_query *dns_lookup_addr(struct dns *dns, const char *host, dns_addr_cb *cb, void *ctx);

/* RFC 5321 5.1: sorts by preference, ascending, and shuffles records of equal preference
 * with rand_below(). Pure apart from the randomness. */
void dns_mx_order(struct dns_mx *mx, size_t n);
/* RFC 7505 3: a domain with a null MX has exactly one MX record, with exchange ".". */
bool dns_mx_is_null(const struct dns_mx *mx, size_t n);

/* ---- records of one type, through the answer cache (dns_rr.c, dns_cache.h) ---- */

/* Record types (RFC 1035 3.2.2, RFC 3596) */
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_SRV 33

/* One record in text form, NUL-terminated: A and AAAA, the address ("192.0.2.1",
 * "2001:db8::1"); MX, "preference exchange" ("10 mx.example.com", the null MX as "0 ");
 * PTR and CNAME, the name without the trailing dot; SRV (RFC 2782), "priority weight port
 * target" ("0 1 993 mail.example.com", target "." as ""); TXT, the record's character-strings
 * joined with nothing between (RFC 7208 3.3), which may hold NUL octets: len counts them. */
struct dns_rr {
	char *data;
	size_t len;
};

/* rrs valid only during the callback. DNS_OK means at least one record. Answers (also
 * NXDOMAIN and NODATA, RFC 2308) are cached for their TTL; a cached answer is given
 * inside the call (which then returns NULL). */
typedef void dns_rr_cb(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n,
		       const char *error);
struct dns_query *dns_lookup_rr(struct dns *dns, unsigned type, const char *name, dns_rr_cb *cb,
				void *ctx);
/* TXT records of name (each record's strings joined). */
struct dns_query *dns_lookup_txt(struct dns *dns, const char *name, dns_rr_cb *cb, void *ctx);
/* PTR records of an address (AF_INET or AF_INET6): the in-addr.arpa/ip6.arpa name. */
struct dns_query *dns_lookup_ptr(struct dns *dns, const struct sockaddr_storage *addr,
				 dns_rr_cb *cb, void *ctx);
/* The reverse-lookup name of addr into out (at least 74 octets). */
void dns_reverse_name(const struct sockaddr_storage *addr, char *out, size_t size);
/* How many answers the cache holds at most (config dns_cache_size; default
 * DNS_CACHE_DEFAULT_SIZE); 0 turns it off. */
void dns_set_cache_size(struct dns *dns, size_t entries);

/* ---- next-hop routes (dns_route.c) ---- */

struct dns_route_host {
	char *name;
	struct sockaddr_storage *addrs; /* port 0: the caller sets the port */
	size_t n_addrs;
};

struct dns_route {
	enum dns_status status;       /* DNS_OK when at least one host has addresses */
	bool null_mx;                 /* RFC 7505: the domain accepts no mail (permanent) */
	char error[256];              /* why, when status != DNS_OK or null_mx */
	struct dns_route_host *hosts; /* in the order to try */
	size_t n_hosts;
};

/* cb owns route (free with dns_route_free). */
typedef void dns_route_cb(void *ctx, struct dns_route *route);
struct dns_route_query;

/* The hosts to deliver mail for domain to: with use_mx, its MX hosts in order (RFC 5321
 * 5.1), or the domain itself when it has no MX (implicit MX); a null MX is reported as
 * null_mx. Without use_mx (a bracketed relayhost), the host's own addresses. An address
 * literal ("[192.0.2.1]", "[IPv6:...]" or a bare IP address) needs no lookup. A
 * DNS_NXDOMAIN or DNS_NODATA status is permanent, DNS_TEMPFAIL temporary. */
struct dns_route_query *dns_route_lookup(struct dns *dns, const char *domain, bool use_mx,
					 dns_route_cb *cb, void *ctx);
void dns_route_cancel(struct dns_route_query *rq);
void dns_route_free(struct dns_route **route);
/* Parses an address literal or bare IP address into ss (port 0); false if not one. */
bool dns_parse_literal(const char *s, struct sockaddr_storage *ss);

#endif
