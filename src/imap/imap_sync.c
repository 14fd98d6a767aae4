/* Telling a session what changed in its selected mailbox, at the points RFC 3501 7.4.1
 * and 5.2 allow: EXPUNGE (or VANISHED under QRESYNC, RFC 7162 3.2.10), EXISTS, RECENT,
 * FLAGS (again whenever the keyword list is not the one last announced), and FETCH (FLAGS)
 * with MODSEQ under CONDSTORE. */
#include <stdlib.h>

#include "imap/imap_context.h"
#include "imap/imap_flags.h"
#include "imap/imap_notify.h"
#include "imap/imap_session.h"
#include "imap/imap_write.h"
#include "log/log.h"
#include "net/conn.h"
#include "store/store_view.h"

static const struct {
	uint32_t store;
	unsigned imap;
} flag_map[] = {
	{STORE_FLAG_ANSWERED, IMAP_FLAG_ANSWERED}, {STORE_FLAG_FLAGGED, IMAP_FLAG_FLAGGED},
	{STORE_FLAG_DELETED, IMAP_FLAG_DELETED},   {STORE_FLAG_SEEN, IMAP_FLAG_SEEN},
	{STORE_FLAG_DRAFT, IMAP_FLAG_DRAFT},       {STORE_FLAG_RECENT, IMAP_FLAG_RECENT},
};

uint32_t
imap_flags_to_store(unsigned imap_flags)
{
	uint32_t out = 0;

	for (size_t i = 0; i < sizeof(flag_map) / sizeof(flag_map[0]); i++) {
		if (imap_flags & flag_map[i].imap)
			out |= flag_map[i].store;
	}
	return out;
}

static unsigned
store_flags_to_imap(uint32_t store_flags)
{
	unsigned out = 0;

	for (size_t i = 0; i < sizeof(flag_map) / sizeof(flag_map[0]); i++) {
		if (store_flags & flag_map[i].store)
			out |= flag_map[i].imap;
	}
	return out;
}

void
imap_write_msg_flags(struct imap_session *s, struct buf *out, const struct store_view_msg *msg)
{
	const char *names[64];
	size_t n_kw, n = 0;
	const char *const *kw = store_view_keywords(s->view, &n_kw);
	unsigned flags = store_flags_to_imap(msg->flags);

	for (size_t i = 0; i < n_kw && i < 64; i++) {
		if (msg->keywords & (1ull << i))
			names[n++] = kw[i];
	}
	/* RFC 9051 2.3.2: \Recent is gone from IMAP4rev2 */
	if (s->rev2)
		flags &= ~(unsigned)IMAP_FLAG_RECENT;
	imap_write_flags(out, flags, names, n);
}

/* FNV-1a over the names (each with its terminating NUL): what a session remembers of the
 * keyword list it last announced, without keeping a copy. */
static uint64_t
keywords_fingerprint(const char *const *kw, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)kw[i];; p++) {
			h = (h ^ *p) * 1099511628211ull;
			if (*p == '\0')
				break;
		}
	}
	return h;
}

void
imap_send_flags(struct imap_session *s)
{
	struct buf b = BUF_INIT;
	size_t n_kw;
	const char *const *kw = store_view_keywords(s->view, &n_kw);
	unsigned sys = IMAP_FLAG_ANSWERED | IMAP_FLAG_FLAGGED | IMAP_FLAG_DELETED | IMAP_FLAG_SEEN |
		       IMAP_FLAG_DRAFT;

	buf_appends(&b, "* FLAGS ");
	imap_write_flags(&b, sys, kw, n_kw);
	buf_appends(&b, "\r\n* OK [PERMANENTFLAGS ");
	if (s->readonly) {
		buf_appends(&b, "()] Read-only mailbox\r\n");
	} else {
		imap_write_flags(&b, sys, kw, n_kw);
		/* RFC 3501 7.1: "\*" = new keywords may be created */
		buf_truncate(&b, b.len - 1);
		buf_appends(&b, " \\*)] Flags permitted\r\n");
	}
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
	s->kw_announced = keywords_fingerprint(kw, n_kw);
}

void
imap_flags_announce(struct imap_session *s)
{
	size_t n_kw;
	const char *const *kw;

	if (s->view == NULL)
		return;
	kw = store_view_keywords(s->view, &n_kw);
	if (keywords_fingerprint(kw, n_kw) != s->kw_announced)
		imap_send_flags(s);
}

static void
imap_sync_expunged(struct imap_session *s, const struct store_view_changes *ch)
{
	struct buf b = BUF_INIT;

	if (s->qresync) {
		/* RFC 7162 3.2.10: VANISHED instead of EXPUNGE once QRESYNC is enabled */
		buf_appends(&b, "* VANISHED ");
		imap_seqset_write_list(&b, ch->expunged_uids, ch->n_expunged);
		buf_appends(&b, "\r\n");
	} else {
		for (size_t i = ch->n_expunged; i > 0; i--)
			buf_printf(&b, "* %u EXPUNGE\r\n", ch->expunged_seqs[i - 1]);
	}
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
}

static void
imap_sync_changed(struct imap_session *s, const struct store_view_changes *ch)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ch->n_changed; i++) {
		uint32_t seq = store_view_seq(s->view, ch->changed_uids[i]);
		const struct store_view_msg *m;

		if (seq == 0)
			continue;
		m = &msgs[seq - 1];
		if (m->flags & STORE_FLAG_EXPUNGED)
			continue;
		buf_printf(&b, "* %u FETCH (UID %u FLAGS ", seq, m->uid);
		imap_write_msg_flags(s, &b, m);
		if (s->condstore)
			buf_printf(&b, " MODSEQ (%llu)", (unsigned long long)m->modseq);
		buf_appends(&b, ")\r\n");
	}
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
}

void
imap_sync(struct imap_session *s, bool allow_expunge)
{
	struct store_view_changes ch;
	const char *error;

	if (s->view == NULL)
		return;
	if (store_view_refresh(s->view, allow_expunge ? STORE_REFRESH_EXPUNGE : 0, &ch, &error) <
	    0) {
		log_error("imap: %s: user=%s refresh failed: %s", s->base.id, s->account, error);
		return;
	}
	s->notified = false;
	if (ch.mailbox_deleted) {
		store_view_changes_free(&ch);
		imap_send(s, "* BYE [UNAVAILABLE] The selected mailbox was deleted");
		imap_session_close(s);
		return;
	}
	if (ch.n_expunged > 0) {
		/* RFC 5267 4.3.3: REMOVEFROM with the numbers the EXPUNGEs still use */
		imap_context_expunged(s, ch.expunged_uids, ch.expunged_seqs, ch.n_expunged);
		imap_sync_expunged(s, &ch);
	}
	/* before any FETCH that may use a new keyword (RFC 3501 7.2.6) */
	imap_flags_announce(s);
	if (ch.new_count > ch.old_count) {
		imap_send(s, "* %zu EXISTS", ch.new_count);
		if (!s->rev2) /* RFC 9051 Appendix E 6 */
			imap_send(s, "* %u RECENT", store_view_recent_count(s->view));
		imap_notify_new_messages(s, ch.old_count, ch.new_count);
	}
	if (ch.n_changed > 0)
		imap_sync_changed(s, &ch);
	store_view_changes_free(&ch);
	if (s->contexts != NULL)
		imap_context_sync(s);
	/* An IDLE session may sit for hours: its view need not hold one entry per message
	 * meanwhile (thousands of IDLE phones on big mailboxes); the store rebuilds it on
	 * the next use. New mail alone does not wake it. */
	if (s->wait == IMAP_WAIT_IDLE)
		store_view_hibernate(s->view);
}
