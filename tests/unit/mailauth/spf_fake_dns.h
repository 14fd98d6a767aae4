/* A fake DNS for SPF tests (spf_resolver.h over zone data in memory), with the semantics
 * of the driver of the RFC 7208 test suite (pyspf's testspf.py): a name that is absent is
 * NXDOMAIN (TEMPFAIL when it starts with "error."), a name with records of other types
 * only is NODATA, a TIMEOUT entry makes the types with no records before it time out, a
 * label over 63 octets times out, a CNAME is followed.
 *
 * Zone file lines: "name TYPE value..." with TYPE one of A AAAA MX PTR CNAME (one value)
 * or TXT (the record's strings, each hex-encoded, possibly none), or "name TIMEOUT".
 * Lines starting with '#' are comments. */
#ifndef TESTS_SPF_FAKE_DNS_H
#define TESTS_SPF_FAKE_DNS_H
#include <stdbool.h>

#include "mailauth/spf_resolver.h"

struct spf_fake_dns;

struct spf_fake_dns *spf_fake_dns_new(void);
void spf_fake_dns_free(struct spf_fake_dns **fd);
/* Adds one zone line (as in a zone file); -1 if it is malformed. */
int spf_fake_dns_add(struct spf_fake_dns *fd, const char *line);
int spf_fake_dns_load(struct spf_fake_dns *fd, const char *path);
/* async: answers are queued and delivered by spf_fake_dns_pump(), as from an event loop;
 * otherwise they are given inside the lookup call. */
void spf_fake_dns_set_async(struct spf_fake_dns *fd, bool async);
/* Delivers one queued answer; false when none was queued. */
bool spf_fake_dns_pump(struct spf_fake_dns *fd);
/* How many lookups were made, and how many are queued. */
unsigned spf_fake_dns_lookups(const struct spf_fake_dns *fd);
unsigned spf_fake_dns_queued(const struct spf_fake_dns *fd);
/* The resolver interface over this fake. */
struct spf_resolver spf_fake_dns_resolver(struct spf_fake_dns *fd);

#endif
