/* Teaching rspamd from what users do: a message the user moved into or out of Junk is
 * POSTed to rspamd's controller (rspamd_controller = host[:port], its "controller" worker,
 * port 11334 by default) at /learnspam or /learnham, the way Dovecot's imap_sieve scripts
 * feed rspamc (docs/spam.md "rspamd instead").
 *
 * The posts run on a thread of their own, one message after another (so that a message
 * moved into Junk and straight back out ends as ham in rspamd too), with blocking sockets
 * bounded by rspamd_learn_timeout: the IMAP command that caused them never waits. At most
 * rspamd_learn_queue messages wait; past that, and for a message over
 * rspamd_learn_max_size, the message is not posted and a line is logged. Every outcome is
 * logged ("rspamd: ACCOUNT: learnspam: HTTP 200 ..."); none fails anything. */
#ifndef FILTER_RSPAMD_LEARN_H
#define FILTER_RSPAMD_LEARN_H
#include <stdbool.h>

struct event_base;
struct rspamd_learner;
struct settings;

struct rspamd_learner *rspamd_learner_new(struct event_base *base);
/* Posts still waiting are dropped; one in progress finishes (at most its timeout). */
void rspamd_learner_free(struct rspamd_learner **l);

/* Queues the message whose file is open at fd (read-only; taken: the learner closes it)
 * for set->rspamd_controller's /learnspam (spam) or /learnham; the controller address,
 * password file, timeout and size limit are copied from set now. false when it was not
 * queued (no rspamd_controller, or the queue is full: logged). From the loop thread. */
bool rspamd_learner_submit(struct rspamd_learner *l, const struct settings *set,
			   const char *account, int fd, bool spam);

/* Messages queued or being posted (tests, metrics). */
unsigned rspamd_learner_pending(const struct rspamd_learner *l);

#endif
