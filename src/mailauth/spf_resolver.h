/* The DNS that the SPF evaluator asks (RFC 7208 4, 5): an interface of one function, so
 * check_host() runs on c-ares and the shared cache in the server (spf_dns.c) and on fake
 * zone data in tests. */
#ifndef MAILAUTH_SPF_RESOLVER_H
#define MAILAUTH_SPF_RESOLVER_H
#include <stddef.h>

enum spf_rr {
	SPF_RR_TXT,
	SPF_RR_A,
	SPF_RR_AAAA,
	SPF_RR_MX,
	SPF_RR_PTR,
};

enum spf_dns_status {
	SPF_DNS_OK,
	SPF_DNS_NXDOMAIN, /* RCODE 3, Name Error */
	SPF_DNS_NODATA,   /* RCODE 0 without records of the type */
	SPF_DNS_TEMPFAIL, /* timeout, SERVFAIL, ...: temperror */
};

/* The answer: records as text, valid only during the call. TXT: each record's strings
 * joined (RFC 7208 3.3), a NUL octet in them given as 0x7f (no valid SPF record holds
 * either, and a C string cannot hold the NUL); A, AAAA: addresses in text form; MX: exchange names
 * (preferences are of no use to SPF); PTR: names. SPF_DNS_OK with n == 0 counts as NODATA. */
typedef void spf_dns_answer_cb(void *ctx, enum spf_dns_status status, const char *const *rrs,
			       size_t n);

struct spf_resolver {
	/* Looks up name (no trailing dot; for PTR the in-addr.arpa/ip6.arpa name) and calls
	 * cb exactly once, inside the call (then it returns NULL) or later from the event
	 * loop (then it returns a handle of the pending lookup, for cancel()). */
	void *(*lookup)(void *rctx, enum spf_rr type, const char *name, spf_dns_answer_cb *cb,
			void *cb_ctx);
	/* Drops a pending lookup: its callback will not run. */
	void (*cancel)(void *rctx, void *handle);
	void *rctx;
};

#endif
