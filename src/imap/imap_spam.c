/* Spam training hooks (see imap_spam.h). */
#include "imap/imap_spam.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings.h"
#include "filter/rspamd_learn.h"
#include "imap/imap_server.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "spam/spam_job.h"
#include "store/store_mailbox.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define TRAIN_BATCH 32 /* messages per worker job (open files per job) */

struct imap_spam_train {
	enum spam_class cls;
	int *fds;
	size_t n;
};

/* The built-in filter learns (spam_filter = builtin with a threshold on). */
static bool
builtin_on(const struct settings *set)
{
	return strcmp(set->spam_filter, "builtin") == 0 &&
	       (set->spam_threshold > 0 || set->spam_reject_threshold > 0);
}

/* Anyone learns: the built-in filter, or rspamd through rspamd_controller (whatever
 * spam_filter says: rspamd may sort the mail of another server too). */
static bool
filter_on(const struct imap_session *s)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	return builtin_on(deps->settings) ||
	       (deps->settings->rspamd_controller != NULL && deps->rspamd_learner != NULL);
}

/* The mailbox name carries special use bit (RFC 6154), or is called fallback. */
static bool
mailbox_is(struct imap_session *s, const char *name, unsigned bit, const char *fallback)
{
	struct store_mailbox_info *list;
	size_t count;
	const char *error;
	bool is = str_casecmp(name, fallback) == 0;

	if (is || store_mailbox_list(s->acct, &list, &count, &error) < 0)
		return is;
	for (size_t i = 0; i < count && !is; i++)
		is = (list[i].attrs & bit) && strcmp(list[i].name, name) == 0;
	store_mailbox_list_free(&list, count);
	return is;
}

static struct imap_spam_train *
open_files(struct imap_session *s, const uint32_t *uids, size_t n, enum spam_class cls)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	struct imap_spam_train *t = xcalloc(1, sizeof(*t));

	if (n > set->spam_train_max_messages) {
		log_info("imap: %s: training only %u of %zu messages (spam_train_max_messages)",
			 s->account, set->spam_train_max_messages, n);
		n = set->spam_train_max_messages;
	}
	t->cls = cls;
	t->fds = xmalloc((n > 0 ? n : 1) * sizeof(*t->fds));
	for (size_t i = 0; i < n; i++) {
		uint64_t size;
		const char *error;
		int fd = store_msg_open(s->view, uids[i], &size, &error);
		if (fd >= 0)
			t->fds[t->n++] = fd;
	}
	return t;
}

static void
train_free(struct imap_spam_train **t)
{
	for (size_t i = 0; i < (*t)->n; i++)
		if ((*t)->fds[i] >= 0)
			close((*t)->fds[i]);
	free((*t)->fds);
	free(*t);
	*t = NULL;
}

static void
submit(struct imap_session *s, struct imap_spam_train *t)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);
	/* its own thread keeps the trainings in order: a message moved into Junk and back out
	 * at once must end as ham */
	struct workers *w = deps->spam_trainer != NULL ? deps->spam_trainer : deps->workers;

	/* rspamd's copy first: the built-in trainer takes the files */
	for (size_t i = 0; deps->settings->rspamd_controller != NULL && i < t->n; i++) {
		int fd = dup(t->fds[i]);
		if (fd >= 0)
			rspamd_learner_submit(deps->rspamd_learner, deps->settings, s->account, fd,
					      t->cls == SPAM_CLASS_SPAM);
	}
	if (!builtin_on(deps->settings))
		return;
	for (size_t i = 0; i < t->n; i += TRAIN_BATCH) {
		size_t k = t->n - i < TRAIN_BATCH ? t->n - i : TRAIN_BATCH;
		spam_train_submit(w, deps->settings, s->account, t->fds + i, k, t->cls);
		for (size_t j = i; j < i + k; j++)
			t->fds[j] = -1; /* the job closes them */
	}
}

struct imap_spam_train *
imap_spam_copy_prepare(struct imap_session *s, const uint32_t *uids, size_t n, const char *dest)
{
	const char *src = store_view_mailbox_name(s->view);
	enum spam_class cls;

	if (n == 0 || !filter_on(s))
		return NULL;
	if (mailbox_is(s, dest, STORE_MAILBOX_JUNK, "Junk")) {
		if (mailbox_is(s, src, STORE_MAILBOX_JUNK, "Junk"))
			return NULL;
		cls = SPAM_CLASS_SPAM;
	} else if (mailbox_is(s, src, STORE_MAILBOX_JUNK, "Junk") &&
		   !mailbox_is(s, dest, STORE_MAILBOX_TRASH, "Trash")) {
		cls = SPAM_CLASS_HAM;
	} else {
		return NULL;
	}
	return open_files(s, uids, n, cls);
}

void
imap_spam_copy_finish(struct imap_session *s, struct imap_spam_train **t, int ok)
{
	if (*t == NULL)
		return;
	if (ok)
		submit(s, *t);
	train_free(t);
}

void
imap_spam_store(struct imap_session *s, const uint32_t *uids, size_t n, enum store_flags_mode mode,
		const char *const *keywords, size_t n_keywords)
{
	bool junk = false, notjunk = false;
	struct imap_spam_train *t;

	if (mode == STORE_FLAGS_REMOVE || n == 0 || !filter_on(s))
		return;
	for (size_t i = 0; i < n_keywords; i++) {
		junk = junk || str_casecmp(keywords[i], "$Junk") == 0;
		notjunk = notjunk || str_casecmp(keywords[i], "$NotJunk") == 0;
	}
	if (junk == notjunk)
		return; /* neither, or both: no verdict */
	t = open_files(s, uids, n, junk ? SPAM_CLASS_SPAM : SPAM_CLASS_HAM);
	submit(s, t);
	train_free(&t);
}
