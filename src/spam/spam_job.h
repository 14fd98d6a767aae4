/* The spam filter's work off the event loop (docs/design.md "Threads"): classifying a
 * message for the SMTP stage and training messages for IMAP, each a function to run on a
 * worker thread (net/workers.h) over a job that owns copies of everything it reads, so
 * the caller's state may change meanwhile. */
#ifndef SPAM_SPAM_JOB_H
#define SPAM_SPAM_JOB_H
#include <stddef.h>
#include <stdint.h>

#include "spam/spam_db.h"

struct settings;
struct workers;

#define SPAM_CLASSIFY_MAX_ACCOUNTS 8 /* token stores consulted for one message */

struct spam_classify {
	/* in */
	char *data_dir;
	char *msg; /* the first scan_bytes of the message */
	size_t len;
	size_t scan_bytes;
	unsigned min_trained;
	unsigned store_cache; /* spam_store_cache */
	char *accounts[SPAM_CLASSIFY_MAX_ACCOUNTS];
	size_t n_accounts;
	long now;
	/* out */
	unsigned checks; /* spam_checks_run() bits */
	double bayes;    /* the mean probability over the accounts that have enough training,
			    or SPAM_BAYES_NONE */
	size_t n_tokens;
};

/* A job for msg[0..len) (the first spam_scan_bytes are copied) and the local accounts it
 * goes to (the first SPAM_CLASSIFY_MAX_ACCOUNTS). */
struct spam_classify *spam_classify_new(const struct settings *set, const char *msg, size_t len,
					const char *const *accounts, size_t n_accounts);
/* Worker thread: fills the out fields. The thread keeps the token stores it read last open
 * (up to spam_store_cache, closed when it ends). */
void spam_classify_run(void *job);
void spam_classify_free(struct spam_classify **job);

/* The key a message is remembered by in the token store: a 64-bit FNV-1a hash of its first
 * bytes and its size (the stored file never changes; COPY and MOVE keep it). */
uint64_t spam_message_key(const char *bytes, size_t len, uint64_t size);

/* Trains the messages whose files are open at fds[0..n) (read-only; the job closes them)
 * as cls in account's token store, on a worker of w; logs the outcome. fds is copied. */
void spam_train_submit(struct workers *w, const struct settings *set, const char *account,
		       const int *fds, size_t n, enum spam_class cls);

#endif
