/* The names `yubin serve` adds to the ACME certificate when acme_domains is empty: the
 * mta-sts.D and autoconfig.D of mydomains that resolve to one of myhostname's addresses,
 * looked up at start and every acme_check_interval (serve_acme_names.c). */
#ifndef CLI_SERVE_ACME_NAMES_H
#define CLI_SERVE_ACME_NAMES_H

struct acme_client;
struct dns;
struct event_base;
struct settings;
struct serve_acme_names;

/* Starts the first round of lookups now; each round ends in acme_client_set_names(). dns,
 * s and acme must outlive it. */
struct serve_acme_names *serve_acme_names_start(struct event_base *base, struct dns *dns,
						const struct settings *s, struct acme_client *acme);
void serve_acme_names_free(struct serve_acme_names **an);

#endif
