/* The outbound queue: messages for remote recipients are spooled durably under
 * data_directory/queue/, then delivered by the scheduler (DNS MX routing, the SMTP
 * client, retries with backoff, DSN bounces). */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

struct accounts;
struct dkim_keyring;
struct event_base;
struct queue;
struct settings;
struct store;

struct dns;

struct queue_deps {
	struct event_base *base;
	const struct settings *settings;
	struct accounts *accounts;
	struct store *store;       /* for local recipients of sendmail mail and bounces */
	SSL_CTX *client_tls;       /* opportunistic STARTTLS for outbound SMTP */
	struct dkim_keyring *dkim; /* signs sendmail mail and DSNs (NULL: none); not owned */
	/* MX/A/AAAA lookups through the server's one answer cache (shared with the SMTP
	 * checks); NULL: the queue makes its own resolver. Not owned. */
	struct dns *dns;
};

/* Opens the spool under data_directory/queue (recovering what a crash left), starts the
 * scheduler and the pickup of mail dropped by `yubin sendmail`. NULL with *error_r. */
struct queue *queue_new(const struct queue_deps *deps, const char **error_r);
/* Stops starting new deliveries; deliveries in flight are abandoned safely (they are
 * retried after a restart, never lost). */
void queue_shutdown(struct queue *queue);
void queue_free(struct queue **queue);
/* Retry every deferred message now (SIGUSR1 / `yubin queue flush`). */
void queue_flush(struct queue *queue);
/* The messages in the queue now and the arrival time of the oldest (0 when empty), for
 * `yubin status` and /metrics. */
void queue_stats(const struct queue *queue, size_t *messages_r, time_t *oldest_r);

/* result 0: the message is durable in the queue (the SMTP server may answer 250);
 * -1: it could not be spooled, error says why (static text), nothing is queued. */
typedef void queue_submit_cb(void *ctx, int result, const char *error);

/* Spools a message for the remote recipients rcpts (NULL-terminated) with envelope
 * sender (may be "" for a bounce) and calls cb on the loop thread once it is durable
 * (or failed). The stored message is prefix followed by msg (CRLF line ends); qid is the
 * id the SMTP server logged for it. Everything is copied before this returns; cb may be
 * called before it returns only on failure. */
void queue_submit(struct queue *queue, const char *qid, const char *sender,
		  const char *const *rcpts, const char *prefix, size_t prefix_len, const char *msg,
		  size_t len, queue_submit_cb *cb, void *ctx);

/* Like queue_submit(), but the message is put on hold (a milter's quarantine): nothing is
 * delivered until `yubin queue release ID`. local are local account names (delivered into
 * their INBOX on release), remote remote addresses; both NULL-terminated or NULL. */
void queue_submit_held(struct queue *queue, const char *qid, const char *sender,
		       const char *const *local, const char *const *remote, const char *prefix,
		       size_t prefix_len, const char *msg, size_t len, queue_submit_cb *cb,
		       void *ctx);

#endif
