/* The DNS check: every record `yubin quickstart` asks to publish (MX, A/AAAA and PTR of
 * the host, SPF, the DKIM keys of data_directory/dkim, DMARC, MTA-STS, TLS-RPT, the SRV
 * records of RFC 6186/8314, autoconfig/autodiscover names), looked up through
 * dns_resolvers and judged one line each ("ok", "MISSING", "WRONG", "note"). Used by
 * `yubin dnscheck` and by the admin web page (on a worker thread: it blocks for the
 * lookups, a few seconds, on an event loop of its own). */
#ifndef MAILAUTH_DNSCHECK_H
#define MAILAUTH_DNSCHECK_H
#include <stddef.h>

struct buf;
struct settings;

/* Appends the report (text lines) to out. Returns the number of problems (MISSING,
 * WRONG), or -1 with *error_r (static text) when no resolver could be set up. Reads the
 * DKIM public keys under data_directory/dkim (the server user's files). Thread-safe for
 * s not changing meanwhile. */
int dnscheck_run(const struct settings *s, struct buf *out, const char **error_r);

/* The p= value of a DKIM key record (whitespace removed), malloc'ed; NULL when none
 * (also `yubin dkim list`'s comparison). */
char *dnscheck_dkim_record_p(const char *rec, size_t len);

#endif
