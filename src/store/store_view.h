/* A session's view of one selected mailbox: the ordered list of its messages (index =
 * sequence number - 1) with UID, flags, keywords and MODSEQ. The view never changes by
 * itself: store_view_refresh() brings it up to date and says what changed, so IMAP can
 * send EXISTS / EXPUNGE / VANISHED / FETCH at the points RFC 3501 7.4.1 allows, and POP3 can
 * keep its login-time numbering by never refreshing. Operations by this view (flags,
 * expunge) update its own entries in place, so a later refresh does not report them again
 * (except expunges, which a refresh with STORE_REFRESH_EXPUNGE reports and removes). */
#ifndef STORE_STORE_VIEW_H
#define STORE_STORE_VIEW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;
struct store_view;

/* System flags (RFC 3501 2.3.2). STORE_FLAG_RECENT is per view and cannot be stored. */
enum store_flag {
	STORE_FLAG_SEEN = 1 << 0,
	STORE_FLAG_ANSWERED = 1 << 1,
	STORE_FLAG_FLAGGED = 1 << 2,
	STORE_FLAG_DELETED = 1 << 3,
	STORE_FLAG_DRAFT = 1 << 4,
	STORE_FLAG_RECENT = 1 << 5,
	/* view only: expunged in the store, not yet removed from this view (a refresh without
	 * STORE_REFRESH_EXPUNGE); its metadata and bytes may no longer be readable */
	STORE_FLAG_EXPUNGED = 1 << 6,
};
#define STORE_FLAGS_STORABLE 0x1fu

struct store_view_msg {
	uint32_t uid;
	uint32_t flags;    /* enum store_flag */
	uint64_t keywords; /* bit i = store_view_keywords()[i] */
	uint64_t modseq;
};

/* Selects name. readonly (EXAMINE, RFC 3501 6.3.2) claims no \Recent. A read-write view
 * gets \Recent on the messages no earlier session saw (and claims them). 0 ok, -1 with
 * *error_r (errcode STORE_ERR_NONEXISTENT for a missing or \Noselect mailbox). The view
 * holds a reference on acct. */
int store_view_open(struct store_account *acct, const char *name, bool readonly,
		    struct store_view **view_r, const char **error_r);
void store_view_close(struct store_view **view);

struct store_account *store_view_account(const struct store_view *view);
bool store_view_readonly(const struct store_view *view);
/* Current name of the selected mailbox (follows renames seen by the last refresh). */
const char *store_view_mailbox_name(const struct store_view *view);
uint64_t store_view_mailbox_id(const struct store_view *view);
uint32_t store_view_uidvalidity(const struct store_view *view);
/* UIDNEXT and HIGHESTMODSEQ as of the last refresh (or open). */
uint32_t store_view_uidnext(const struct store_view *view);
uint64_t store_view_highestmodseq(const struct store_view *view);

/* Cheap also while hibernated. */
size_t store_view_count(const struct store_view *view);
/* Nothing was committed to the account's index since the view last read it (see
 * store_view_refresh): every message of the view but those marked expunged is in the index
 * as the view has it, and no file of one is gone. */
bool store_view_current(const struct store_view *view);
/* The messages, in sequence order; valid until the next refresh/operation on this view
 * (or store_view_hibernate). Wakes a hibernated view (see below). */
const struct store_view_msg *store_view_msgs(struct store_view *view);
/* Sequence number (1-based) of uid, 0 if it is not in the view. O(log n). Wakes a
 * hibernated view. */
uint32_t store_view_seq(struct store_view *view, uint32_t uid);
/* Number of \Recent messages in the view. */
uint32_t store_view_recent_count(const struct store_view *view);
/* Keyword names of the mailbox, by bit (FLAGS / PERMANENTFLAGS); at most 64. */
const char *const *store_view_keywords(const struct store_view *view, size_t *count_r);
/* Bit of keyword name (case-insensitive, RFC 3501 keywords are atoms), -1 if unknown. */
int store_view_keyword_index(const struct store_view *view, const char *name);

enum store_refresh_flags {
	/* remove expunged messages now (else they stay, marked STORE_FLAG_EXPUNGED) */
	STORE_REFRESH_EXPUNGE = 1 << 0,
};

/* What a refresh changed. Arrays are owned by the struct: store_view_changes_free(). */
struct store_view_changes {
	/* removed messages: UIDs ascending, with the sequence numbers they had before this
	 * refresh (send EXPUNGE for them in descending order so each number is still right) */
	uint32_t *expunged_uids;
	uint32_t *expunged_seqs;
	size_t n_expunged;
	/* UIDs of messages already in the view whose flags, keywords or MODSEQ changed (by
	 * another session), ascending, not counting expunged ones; look them up with
	 * store_view_seq() after the refresh */
	uint32_t *changed_uids;
	size_t n_changed;
	size_t old_count;      /* messages before, after removing the expunged */
	size_t new_count;      /* messages now (new ones are at the end): EXISTS if > old */
	bool keywords_changed; /* the mailbox keyword list grew: send FLAGS again */
	bool mailbox_deleted;  /* the mailbox is gone: the view is empty, close it */
	bool renamed;          /* store_view_mailbox_name() changed */
};

/* Brings the view up to date. 0 ok, -1 with *error_r (the view is unchanged). */
int store_view_refresh(struct store_view *view, unsigned flags, struct store_view_changes *ch,
		       const char **error_r);
void store_view_changes_free(struct store_view_changes *ch);

/* RFC 7162 3.2.5.2 / 3.2.10: UIDs of messages expunged from this mailbox with a MODSEQ
 * greater than modseq, ascending, limited to [uid_lo, uid_hi]. May include UIDs this
 * session never saw (RFC 7162 allows it). Free *uids_r. */
int store_view_vanished_since(struct store_view *view, uint64_t modseq, uint32_t uid_lo,
			      uint32_t uid_hi, uint32_t **uids_r, size_t *count_r,
			      const char **error_r);

/* Hibernation, for idle sessions (IMAP IDLE): frees the per-message array (24 bytes a
 * message) and keeps what rebuilds the same view from the index later: count, UIDNEXT,
 * the MODSEQ it is synced to, its \Recent UID runs, and the few entries the index cannot
 * give back (expunged ones still in the view, ones this view changed since its last
 * refresh). Transparent to callers: store_view_msgs(), store_view_seq() and the store
 * operations on the view wake it first; store_view_count(), store_view_recent_count(),
 * the mailbox accessors and store_msg_* do not need to. A refresh of a hibernated view
 * that only finds new messages (or nothing) stays hibernated; otherwise it wakes the view
 * and reports exactly what it would have without hibernation. Two things a woken view
 * cannot know, visible only before its next refresh: a message another session changed
 * while it slept shows its new flags (the refresh still reports it as changed), and a
 * message another session expunged shows STORE_FLAG_EXPUNGED (+ \Recent) and no stored
 * flags (the refresh reports it as expunged at its sequence number as usual; with no
 * STORE_REFRESH_EXPUNGE it stays like that). Hibernating a hibernated view does nothing. */
void store_view_hibernate(struct store_view *view);
/* Wakes a hibernated view now (the implicit wake-ups above cannot report an error: they
 * log it, and the view then looks empty of readable messages until a wake succeeds).
 * 0 ok (also when not hibernated), -1 with *error_r (the view stays hibernated). */
int store_view_wake(struct store_view *view, const char **error_r);
bool store_view_is_hibernated(const struct store_view *view);

#endif
