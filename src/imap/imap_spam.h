/* Training the built-in spam filter from what users do over IMAP (docs/spam.md
 * "Training"): COPY or MOVE into Junk trains the messages as spam, out of Junk (to any
 * mailbox but Trash) as ham; STORE of the $Junk / $NotJunk keywords (Thunderbird, Apple
 * Mail) the same. Junk and Trash are the mailboxes with the \Junk / \Trash special use
 * (RFC 6154), or named so. The training itself runs on a worker (spam_job.h); the
 * commands do not wait for it. */
#ifndef IMAP_IMAP_SPAM_H
#define IMAP_IMAP_SPAM_H
#include <stddef.h>
#include <stdint.h>

#include "store/store_msg.h"

struct imap_session;
struct imap_spam_train;

/* Before a COPY/MOVE of uids of the selected mailbox to dest: NULL when it trains
 * nothing, else the messages' files, opened now (a MOVE takes them from the view). */
struct imap_spam_train *imap_spam_copy_prepare(struct imap_session *s, const uint32_t *uids,
					       size_t n, const char *dest);
/* After it: trains when the command succeeded, and frees *t either way. */
void imap_spam_copy_finish(struct imap_session *s, struct imap_spam_train **t, int ok);

/* After a successful STORE that changed uids: trains them when the keywords set
 * ($Junk, $NotJunk: +FLAGS or FLAGS) say so. */
void imap_spam_store(struct imap_session *s, const uint32_t *uids, size_t n,
		     enum store_flags_mode mode, const char *const *keywords, size_t n_keywords);

#endif
