/* Tagged replies that wait for the disk: a command that changed the index outside the
 * journal (CREATE, DELETE, RENAME, [UN]SUBSCRIBE, EXPUNGE, CLOSE, COPY, MOVE) has committed
 * its change; the session pauses while a store thread makes it durable
 * (store_account_sync), and only then does the OK go out, so a client never sees OK for a
 * change a crash can undo. Other sessions go on meanwhile. */
#ifndef IMAP_IMAP_DURABLE_H
#define IMAP_IMAP_DURABLE_H
#include <stdbool.h>

struct imap_session;

/* Once the account's committed changes are durable: sends untagged (if not NULL, without
 * CRLF), unselects if asked (CLOSE), then "<tag> OK <ok_text>"; if the sync failed,
 * "<tag> NO" for command. Then resumes the session. Takes untagged and ok_text. */
void imap_reply_durable(struct imap_session *s, const char *tag, const char *command,
			char *untagged, char *ok_text, bool unselect);

#endif
