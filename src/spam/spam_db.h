/* The per-account token store of the Bayesian spam filter (docs/spam.md): SQLite,
 * data_directory/mail/<account>/spam.db, next to the account's index.db and removed with
 * the account's directory. Blocking (disk): call it on a worker thread, never on the loop
 * (spam_job.h does). A handle is used by one thread at a time; several handles (a
 * classification and a training at once) share the file through SQLite's WAL locking. */
#ifndef SPAM_SPAM_DB_H
#define SPAM_SPAM_DB_H
#include <stdbool.h>
#include <stdint.h>

struct spam_db;
struct spam_tokens;

enum spam_class {
	SPAM_CLASS_NONE = 0, /* never trained */
	SPAM_CLASS_SPAM = 1,
	SPAM_CLASS_HAM = 2,
};

/* Opens the account's token store. create: make it (the account directory must exist).
 * !create and no store yet: NULL with *error_r NULL. NULL with *error_r on failure. */
struct spam_db *spam_db_open(const char *data_dir, const char *account, bool create,
			     const char **error_r);
void spam_db_close(struct spam_db **db);

/* The Bayesian spam probability of the tokens, or SPAM_BAYES_NONE (spam_score.h) when
 * fewer than min_trained messages of either class were trained. */
double spam_db_classify(struct spam_db *db, const struct spam_tokens *t, unsigned min_trained);

/* Trains the message known as key (its content hash) as cls, which it was trained as
 * before is remembered: the same class again changes nothing, the other class untrains
 * it first (retraining). Then, past max_tokens tokens, the least useful are pruned: the
 * ones seen in the fewest messages, least recently trained first, down to 90% of
 * max_tokens. 1 trained, 0 nothing to do, -1 error. */
int spam_db_train(struct spam_db *db, uint64_t key, enum spam_class cls,
		  const struct spam_tokens *t, unsigned long max_tokens, long now);

/* Counts, for tests and the log: trained messages of each class, tokens kept. */
void spam_db_stats(struct spam_db *db, unsigned long *nspam_r, unsigned long *nham_r,
		   unsigned long *ntokens_r);

#endif
