/* The ACME client (RFC 8555) of `yubin serve`: keeps a certificate for acme_domains from
 * the CA at acme_directory, on the event loop. At start and every acme_check_interval it
 * checks data_directory/acme/cert.pem; when it is missing or within acme_renew_days of its
 * notAfter it runs an order: account (newAccount with the stored key: RFC 8555 7.3 returns
 * the existing account), newOrder, one challenge per authorization (http-01 served by
 * src/http, or tls-alpn-01 by the TLS hook of src/net/tls.c), finalize with a CSR, polling,
 * and the PEM chain written next to a fresh key. Key generation and file writes run on the
 * worker pool; everything else is callbacks on the loop. */
#ifndef ACME_CLIENT_H
#define ACME_CLIENT_H

#include <stdbool.h>

struct buf;
struct event_base;
struct settings;
struct workers;
struct acme_client;

/* A new certificate is in cert_file/key_file: swap it into the TLS contexts. */
typedef void acme_cert_cb(const char *cert_file, const char *key_file, void *arg);

/* Starts the client (the first check runs at once, or with wait_names and acme_domains
 * empty at the first acme_client_set_names()). s must outlive it (copied fields are not
 * needed: serve keeps its settings). NULL with *error_r when setup fails. */
struct acme_client *acme_client_new(struct event_base *base, struct workers *workers,
				    const struct settings *s, bool wait_names, acme_cert_cb *cb,
				    void *arg, const char **error_r);
/* acme_domains empty: the certificate's names become myhostname and names (the caller's
 * choice: those that point at this server), from the next check on, which runs now unless
 * an order is in progress. A certificate that lacks one of them is ordered again at once,
 * not only at renewal. */
void acme_client_set_names(struct acme_client *c, const char *const *names);
/* Cancels the request in flight and the timer. Call it after workers_free() (a worker
 * job's done() may still use the client), once the loop no longer runs. */
void acme_client_free(struct acme_client **c);
/* One line for `yubin status`: state, last error, certificate expiry. */
void acme_client_status(const struct acme_client *c, struct buf *out);
/* The files the client keeps its certificate in (data_directory/acme/). Free them. */
char *acme_cert_path(const struct settings *s);
char *acme_key_path(const struct settings *s);

#endif
