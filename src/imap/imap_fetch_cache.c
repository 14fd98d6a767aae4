/* In-memory BODYSTRUCTUREs, ENVELOPEs and search fields per mailbox, in the account handle's second
 * cache slot (see imap_fetch_cache.h). At most imap_fetch_cache_messages entries per account: the
 * mailbox used least recently is dropped first (imap_mbox_cache.h). */
#include "imap/imap_fetch_cache.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_mbox_cache.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "log/log.h"
#include "mail/mime_parts.h"
#include "mail/rfc5322.h"
#include "mail/mime_text.h"
#include "store/store_account.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct mbox_cache {
	struct imap_mbox_cache base; /* max_uid, n */
	uint32_t *uids;
	uint64_t *sizes;
	int64_t *dates;
	int32_t *tzs;
	uint32_t *offs; /* F * n + 1 once anything was added */
	size_t cap;
	struct buf arena;
	/* The top-level header filtered for one HEADER.FIELDS[.NOT] list, the last one asked
	 * for (hspec; hoffs NULL: none): entry i is harena[hoffs[i] .. hoffs[i + 1]), empty
	 * when the row was not in the index (expunged). A client asks for the same list at
	 * every sync (Dovecot keeps such fields in its cache file the same way). */
	struct mime_section_spec hspec;
	uint32_t *hoffs; /* cap + 1 */
	struct buf harena;
	bool hmissing; /* a row without its header (from before it was kept): none kept */
	/* small mailboxes (imap_fetch_cache.h IMAP_FETCH_CACHE_SMALL): each entry's header and
	 * parts blob, 2 offsets an entry (roffs NULL: not kept) */
	enum { SMALL_UNKNOWN, SMALL_YES, SMALL_NO } small;
	uint32_t *roffs; /* 2 * cap + 1 */
	uint8_t *rflags; /* cap */
	struct buf rarena;
	struct imap_fetch_cache view; /* what imap_fetch_cache_get() returns */
};

static void
raw_drop(struct mbox_cache *m)
{
	free(m->roffs);
	free(m->rflags);
	m->roffs = NULL;
	m->rflags = NULL;
	buf_free(&m->rarena);
	m->small = SMALL_NO;
}

static void
header_drop(struct mbox_cache *m)
{
	mime_section_spec_free(&m->hspec);
	free(m->hoffs);
	m->hoffs = NULL;
	buf_free(&m->harena);
}

static void
mbox_free(struct imap_mbox_cache *e)
{
	struct mbox_cache *m = (struct mbox_cache *)e;

	free(m->uids);
	free(m->sizes);
	free(m->dates);
	free(m->tzs);
	free(m->offs);
	buf_free(&m->arena);
	header_drop(m);
	raw_drop(m);
	free(m);
}

static const struct imap_mbox_cache_kind kind = {
	.size = sizeof(struct mbox_cache),
	.free = mbox_free,
	.slot = store_account_cache2,
	.set_slot = store_account_set_cache2,
};

#define F IMAP_FETCH_CACHE_FIELDS

/* Appends one message's entry (scratch: for the normalized From). */
static void
add(struct mbox_cache *m, const struct store_msg_meta *meta, struct buf *scratch)
{
	const struct store_blob *bs = &meta->bodystructure;

	if (m->base.n + 2 > m->cap) {
		size_t cap = m->cap;

		m->uids = xgrow(m->uids, &cap, m->base.n + 2, sizeof(*m->uids));
		m->offs = xrealloc(m->offs, xsize_add(xsize_mul(cap, F * sizeof(*m->offs)), 4));
		m->sizes = xrealloc(m->sizes, xsize_mul(cap, sizeof(*m->sizes)));
		m->dates = xrealloc(m->dates, xsize_mul(cap, sizeof(*m->dates)));
		m->tzs = xrealloc(m->tzs, xsize_mul(cap, sizeof(*m->tzs)));
		if (m->hoffs != NULL)
			m->hoffs = xrealloc(m->hoffs, xsize_mul(cap + 1, sizeof(*m->hoffs)));
		if (m->small == SMALL_YES) {
			m->roffs =
				xrealloc(m->roffs, xsize_add(xsize_mul(cap, 2 * sizeof(*m->roffs)),
							     sizeof(*m->roffs)));
			m->rflags = xrealloc(m->rflags, cap);
		}
		m->cap = cap;
	}
	if (m->small == SMALL_YES) {
		size_t i = m->base.n;

		if (i == 0)
			m->roffs[0] = 0;
		m->rflags[i] = (meta->header.data != NULL ? IMAP_FETCH_CACHE_HAS_HEADER : 0) |
			       (meta->parts.data != NULL ? IMAP_FETCH_CACHE_HAS_PARTS : 0);
		if (meta->header.data != NULL)
			buf_append(&m->rarena, meta->header.data, meta->header.len);
		m->roffs[2 * i + 1] = (uint32_t)m->rarena.len;
		if (meta->parts.data != NULL)
			buf_append(&m->rarena, meta->parts.data, meta->parts.len);
		m->roffs[2 * i + 2] = (uint32_t)m->rarena.len;
	}
	if (m->base.n == 0)
		m->offs[0] = 0;
	if (bs->data != NULL)
		buf_append(&m->arena, bs->data, bs->len);
	m->offs[F * m->base.n + 1] = (uint32_t)m->arena.len;
	mime_text_fold(meta->subject.data != NULL ? meta->subject.data : "", meta->subject.len,
		       &m->arena);
	m->offs[F * m->base.n + 2] = (uint32_t)m->arena.len;
	mime_text_fold(meta->from.data != NULL ? meta->from.data : "", meta->from.len, &m->arena);
	m->offs[F * m->base.n + 3] = (uint32_t)m->arena.len;
	imap_search_addr_normalize(scratch, meta->from.data != NULL ? meta->from.data : "",
				   meta->from.len);
	mime_text_fold(scratch->data != NULL ? scratch->data : "", scratch->len, &m->arena);
	m->offs[F * m->base.n + 4] = (uint32_t)m->arena.len;
	if (meta->envelope.data != NULL)
		buf_append(&m->arena, meta->envelope.data, meta->envelope.len);
	m->offs[F * m->base.n + 5] = (uint32_t)m->arena.len;
	if (meta->body.data != NULL)
		buf_append(&m->arena, meta->body.data, meta->body.len);
	m->sizes[m->base.n] = meta->size;
	m->dates[m->base.n] = (int64_t)meta->internaldate;
	m->tzs[m->base.n] = (int32_t)meta->internaldate_tz;
	m->uids[m->base.n++] = meta->uid;
	m->offs[F * m->base.n] = (uint32_t)m->arena.len;
}

/* Whether a and b name the same fields (case-insensitive, RFC 5322 2.2), the same way. */
static bool
header_same(const struct mime_section_spec *a, const struct mime_section_spec *b)
{
	if (a->kind != b->kind || a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nfields; i++) {
		if (str_casecmp(a->fields[i], b->fields[i]) != 0)
			return false;
	}
	return true;
}

/* Appends the filtered header of entry at - 1 (meta NULL: not in the index), the entries
 * before it done. false when the cache cannot keep it (no header in the row; too much). */
static bool
header_add(struct mbox_cache *m, size_t at, const struct store_msg_meta *meta)
{
	const struct mime_section_spec *spec = &m->hspec;

	if (meta != NULL) {
		if (meta->header.data == NULL || meta->parts.data == NULL ||
		    m->harena.len + meta->header.len + 2 >= UINT32_MAX)
			return false;
		rfc5322_header_filter(meta->header.data, meta->header.len,
				      (const char *const *)spec->fields, spec->nfields,
				      spec->kind == MIME_SECTION_HEADER_FIELDS_NOT, &m->harena);
	}
	m->hoffs[at] = (uint32_t)m->harena.len;
	return true;
}

/* Keeps every entry's top-level header filtered for spec (one walk of the index), instead
 * of the list kept so far. -1 when it cannot (the list is dropped). */
static int
header_build(struct imap_session *s, struct mbox_cache *m, const struct mime_section_spec *spec)
{
	struct store_msg_cursor *cur = NULL;
	struct store_msg_meta meta;
	const char *error = NULL;
	size_t j = 0;
	bool ok = true;
	int ret = 0;

	header_drop(m);
	m->hspec.kind = spec->kind;
	m->hspec.fields = xcalloc(spec->nfields > 0 ? spec->nfields : 1, sizeof(char *));
	for (; m->hspec.nfields < spec->nfields; m->hspec.nfields++)
		m->hspec.fields[m->hspec.nfields] = xstrdup(spec->fields[m->hspec.nfields]);
	m->hoffs = xmalloc(xsize_mul(m->cap + 1, sizeof(*m->hoffs)));
	m->hoffs[0] = 0;
	if (m->base.n > 0) {
		/* the entries and the rows both ascend by UID: a merge */
		cur = store_msg_cursor_open(s->view, m->uids[0], m->uids[m->base.n - 1],
					    STORE_MSG_PARTS);
		while (ok && (ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
			while (j < m->base.n && m->uids[j] < meta.uid)
				(void)header_add(m, ++j, NULL);
			if (j < m->base.n && m->uids[j] == meta.uid)
				ok = header_add(m, ++j, &meta);
		}
		store_msg_cursor_close(&cur);
	}
	while (ok && ret >= 0 && j < m->base.n)
		(void)header_add(m, ++j, NULL);
	if (ret < 0)
		log_error("imap: %s: user=%s fetch cache: %s", s->base.id, s->account, error);
	if (ret < 0 || !ok) {
		header_drop(m);
		m->hmissing = !ok;
		return -1;
	}
	return 0;
}

/* Reads the rows with uid_lo <= UID <= uid_hi into m. */
static int
fill(struct imap_session *s, struct mbox_cache *m, uint32_t uid_lo, uint32_t uid_hi)
{
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	struct buf scratch = BUF_INIT;
	int ret;

	cur = store_msg_cursor_open(
		s->view, uid_lo, uid_hi,
		STORE_MSG_BODYSTRUCTURE | STORE_MSG_ENVELOPE | STORE_MSG_BODY | STORE_MSG_SEARCH |
			(m->hoffs != NULL || m->small == SMALL_YES ? STORE_MSG_PARTS : 0));
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
		/* offsets are 32 bits; folding grows text by half at most */
		if (m->arena.len + meta.bodystructure.len + meta.envelope.len + meta.body.len +
				    2 * (meta.subject.len + 3 * meta.from.len + 64) >=
			    UINT32_MAX ||
		    m->rarena.len + meta.header.len + meta.parts.len >= UINT32_MAX) {
			ret = -1;
			error = "too much for the cache";
			break;
		}
		add(m, &meta, &scratch);
		if (m->hoffs != NULL && !header_add(m, m->base.n, &meta)) {
			header_drop(m);
			m->hmissing = true;
		}
	}
	store_msg_cursor_close(&cur);
	buf_free(&scratch);
	if (ret < 0) {
		log_error("imap: %s: user=%s fetch cache: %s", s->base.id, s->account, error);
		return -1;
	}
	m->base.max_uid = uid_hi;
	return 0;
}

static const struct imap_fetch_cache *
get(struct imap_session *s, bool create, const struct mime_section_spec *hspec)
{
	size_t limit = imap_server_deps(s->server)->settings->imap_fetch_cache_messages;
	struct mbox_cache *m;
	uint32_t last;

	m = (struct mbox_cache *)imap_mbox_cache_entry(s, &kind, limit, create, &last);
	if (m == NULL)
		return NULL;
	if (m->small == SMALL_UNKNOWN) /* a new entry: small now, or never */
		m->small =
			store_view_count(s->view) <= IMAP_FETCH_CACHE_SMALL ? SMALL_YES : SMALL_NO;
	/* a new list first: then the new rows of fill() get it in the same walk (all of them
	 * for a new entry) */
	if (hspec != NULL && (m->hoffs == NULL || !header_same(&m->hspec, hspec))) {
		/* a FETCH of a few messages (!create) reads them from the index instead */
		if (!create || m->hmissing || header_build(s, m, hspec) < 0)
			return NULL;
	}
	if (last > m->base.max_uid && fill(s, m, m->base.max_uid + 1, last) < 0) {
		imap_mbox_cache_drop_front(s, &kind);
		return NULL;
	}
	if (m->small == SMALL_YES && m->base.n > IMAP_FETCH_CACHE_SMALL)
		raw_drop(m); /* grown: no more headers kept in memory */
	imap_mbox_cache_trim(s, &kind, limit);
	m->view.uids = m->uids;
	m->view.sizes = m->sizes;
	m->view.dates = m->dates;
	m->view.tzs = m->tzs;
	m->view.offs = m->offs;
	m->view.arena = m->arena.data != NULL ? m->arena.data : "";
	m->view.n = m->base.n;
	m->view.hoffs = m->hoffs;
	m->view.harena = m->harena.data != NULL ? m->harena.data : "";
	m->view.roffs = m->small == SMALL_YES ? m->roffs : NULL;
	m->view.rflags = m->rflags;
	m->view.rarena = m->rarena.data != NULL ? m->rarena.data : "";
	if (hspec != NULL && m->hoffs == NULL)
		return NULL; /* fill() met a row without its header */
	return &m->view;
}

const struct imap_fetch_cache *
imap_fetch_cache_get(struct imap_session *s, bool create)
{
	return get(s, create, NULL);
}

const struct imap_fetch_cache *
imap_fetch_cache_get_header(struct imap_session *s, bool create,
			    const struct mime_section_spec *spec)
{
	return get(s, create, spec);
}

const struct imap_fetch_cache *
imap_fetch_cache_get_small(struct imap_session *s, bool create)
{
	const struct imap_fetch_cache *c = get(s, create, NULL);

	return c != NULL && c->roffs != NULL ? c : NULL;
}

size_t
imap_fetch_cache_find(const struct imap_fetch_cache *c, uint32_t uid, size_t *hint)
{
	size_t lo = 0, hi = c->n;

	if (*hint < c->n && c->uids[*hint] == uid)
		return (*hint)++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->uids[lo] == uid) {
		*hint = lo + 1;
		return lo;
	}
	return SIZE_MAX;
}
