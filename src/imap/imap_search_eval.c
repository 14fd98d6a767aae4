/* SEARCH and UID SEARCH (RFC 3501 6.4.4): the key tree of imap_search.h evaluated on the
 * selected mailbox from the index (flags, dates, sizes, decoded Subject/From/To/Cc),
 * reading message bytes only for BODY, TEXT, BCC and HEADER; results as SEARCH or
 * ESEARCH (RFC 4731), saved for "$" (RFC 5182), with MODSEQ (RFC 7162 3.1.5).
 * A search over many (or big) messages runs in slices (imap_slice.h): between two keys
 * that read message bytes, when the slice's time is up, the walk stops and goes on later
 * from the same message, whose key results so far are kept. At most imap_search_max_keys
 * keys: the work is keys x messages. */
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_context.h"
#include "imap/imap_date.h"
#include "imap/imap_fetch_cache.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "imap/imap_slice.h"
#include "imap/imap_sort_cache.h"
#include "imap/imap_write.h"
#include "log/log.h"
#include "mail/imap_quote.h"
#include "mail/mime_parts.h"
#include "mail/mime_text.h"
#include "mail/rfc5322.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Results of a key on the current message (the cache kept across slices). */
enum tri { TRI_NO = 0, TRI_YES = 1, TRI_LATER = 2, TRI_UNKNOWN = 3 };

struct search_msg {
	uint32_t seq;
	const struct store_view_msg *vm;
	const struct store_msg_meta *meta;
	struct buf raw; /* the message, read on first need */
	bool raw_loaded;
	struct mime_parts parts;
	bool parts_loaded;
	/* when not NULL: SUBJECT and FROM from entry rc_i of the in-memory cache, folded */
	const struct imap_fetch_cache *rc;
	size_t rc_i;
};

struct search_ctx {
	struct imap_session *s;
	unsigned fields;  /* enum store_msg_field to read */
	struct buf addrs; /* scratch: an address field in normalized form */
	/* slicing: keys that read message bytes are cached per message (slot) */
	unsigned n_slots;
	unsigned char *known; /* enum tri per slot, for the current message */
	const struct imap_slice_budget *budget;
	bool worked;   /* this slice has evaluated a costly key already */
	bool row_keys; /* a key reads the row's dates, size, To or Cc (not in the cache) */
};

static const struct buf *
msg_raw(struct search_ctx *c, struct search_msg *m)
{
	const char *error;

	if (!m->raw_loaded) {
		m->raw_loaded = true;
		if (store_msg_read(c->s->view, m->vm->uid, 0, m->meta->size, &m->raw, &error) < 0)
			log_error("imap: %s: uid=%u read failed: %s", c->s->base.id, m->vm->uid,
				  error);
	}
	return &m->raw;
}

/* An address field as "Name <local@domain>, ..." with groups as "group: ...;", so
 * that a search for "user@domain.org" finds "<user (comment)@ domain.org>" too. */
void
imap_search_addr_normalize(struct buf *out, const char *value, size_t len)
{
	struct rfc5322_addr_list l;

	buf_reset(out);
	rfc5322_addr_list_parse(value, len, &l);
	for (size_t i = 0; i < l.count; i++) {
		const struct rfc5322_addr *a = &l.addrs[i];

		if (a->group_end) {
			buf_appends(out, "; ");
			continue;
		}
		/* appends, not printf: SEARCH FROM normalizes every message's From */
		if (a->group_start) {
			buf_appends(out, a->mailbox != NULL ? a->mailbox : "");
			buf_append(out, ": ", 2);
			continue;
		}
		if (a->name != NULL) {
			buf_appends(out, a->name);
			buf_appendc(out, ' ');
		}
		buf_appendc(out, '<');
		buf_appends(out, a->mailbox != NULL ? a->mailbox : "");
		buf_appendc(out, '@');
		buf_appends(out, a->domain != NULL ? a->domain : "");
		buf_append(out, ">, ", 3);
	}
	rfc5322_addr_list_free(&l);
}

/* FROM, TO, CC (decoded field from the index) and BCC: the text as it is, or its
 * addresses in normalized form (RFC 3501 6.4.4: substring of the field). */
static bool
match_addr(struct search_ctx *c, const struct imap_search_key *k, const char *text, size_t len,
	   bool encoded)
{
	if (text == NULL) {
		text = "";
		len = 0;
	}
	if (encoded ? mime_text_match_header(k->matcher, text, len)
		    : mime_text_match(k->matcher, text, len))
		return true;
	imap_search_addr_normalize(&c->addrs, text, len);
	return encoded ? mime_text_match_header(k->matcher, c->addrs.data, c->addrs.len)
		       : mime_text_match(k->matcher, c->addrs.data, c->addrs.len);
}

static bool
match_text(const struct imap_search_key *k, const char *text, size_t len)
{
	return mime_text_match(k->matcher, text != NULL ? text : "", len);
}

/* SUBJECT/FROM on the cache's folded copy: what match_text()/match_addr() find after
 * folding the same text (mime_text_match folds the haystack, then memmem). */
static bool
match_folded(const struct imap_search_key *k, const struct search_msg *m, unsigned field)
{
	size_t len;
	const char *text = imap_fetch_cache_field(m->rc, m->rc_i, field, &len);

	if (k->matcher->needle.len == 0)
		return true;
	return memmem(text, len, k->matcher->needle.data, k->matcher->needle.len) != NULL;
}

/* HEADER name value (RFC 3501 6.4.4): any field of that name containing value. */
static bool
match_header(struct search_ctx *c, struct search_msg *m, const char *name,
	     const struct imap_search_key *k)
{
	const struct buf *raw = msg_raw(c, m);
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	bool addr = k->type == IMAP_SEARCH_BCC;

	rfc5322_header_iter_init(&it, raw->data != NULL ? raw->data : "",
				 rfc5322_header_size(raw->data != NULL ? raw->data : "", raw->len));
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len != strlen(name) ||
		    str_ncasecmp(f.name, name, f.name_len) != 0)
			continue;
		if (k->value[0] == '\0')
			return true;
		if (addr ? match_addr(c, k, f.value, f.value_len, true)
			 : mime_text_match_header(k->matcher, f.value, f.value_len))
			return true;
	}
	return false;
}

static bool
match_body(struct search_ctx *c, struct search_msg *m, const struct imap_search_key *k)
{
	const struct buf *raw = msg_raw(c, m);
	const char *data = raw->data != NULL ? raw->data : "";
	size_t hsize = rfc5322_header_size(data, raw->len);
	bool found = false;

	if (!m->parts_loaded) {
		m->parts_loaded = true;
		if (m->meta->parts.data == NULL ||
		    mime_parts_decode(m->meta->parts.data, m->meta->parts.len, &m->parts) < 0)
			memset(&m->parts, 0, sizeof(m->parts));
	}
	/* TEXT: the header too (RFC 3501 6.4.4) */
	if (k->type == IMAP_SEARCH_TEXT)
		found = mime_text_match_header(k->matcher, data, hsize);
	if (!found && m->parts.count > 0)
		found = mime_text_match_body(k->matcher, &m->parts, data, raw->len);
	else if (!found)
		found = mime_text_match(k->matcher, data + hsize, raw->len - hsize);
	return found;
}

static enum tri eval(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m);

static enum tri
eval_children(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m)
{
	enum tri r;

	switch (k->type) {
	case IMAP_SEARCH_AND:
		for (size_t i = 0; i < k->count; i++) {
			if ((r = eval(c, &k->children[i], m)) != TRI_YES)
				return r;
		}
		return TRI_YES;
	case IMAP_SEARCH_OR:
		if ((r = eval(c, &k->children[0], m)) != TRI_NO)
			return r;
		return eval(c, &k->children[1], m);
	default: /* NOT */
		r = eval(c, &k->children[0], m);
		return r == TRI_LATER ? r : r == TRI_NO ? TRI_YES : TRI_NO;
	}
}

static bool eval_costly(struct search_ctx *c, const struct imap_search_key *k,
			struct search_msg *m);

/* A key that reads the message: its result is kept for the message, and when the slice's
 * time is up (and it has done something) the evaluation stops here, to go on later. */
static enum tri
eval_cached(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m)
{
	unsigned char *known = &c->known[k->slot];

	if (*known != TRI_UNKNOWN)
		return (enum tri) * known;
	if (c->budget != NULL && c->worked && imap_slice_expired(c->budget))
		return TRI_LATER;
	c->worked = true;
	*known = eval_costly(c, k, m) ? TRI_YES : TRI_NO;
	return (enum tri) * known;
}

static int
cmp_day(long a, long b)
{
	return a < b ? -1 : a > b;
}

static bool
eval_costly(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m)
{
	switch (k->type) {
	case IMAP_SEARCH_BCC:
		return match_header(c, m, "Bcc", k);
	case IMAP_SEARCH_HEADER:
		return match_header(c, m, k->field, k);
	default: /* BODY, TEXT */
		return match_body(c, m, k);
	}
}

static bool
is_costly(enum imap_search_type type)
{
	return type == IMAP_SEARCH_BCC || type == IMAP_SEARCH_HEADER || type == IMAP_SEARCH_BODY ||
	       type == IMAP_SEARCH_TEXT;
}

static bool eval_cheap(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m);

static enum tri
eval(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m)
{
	switch (k->type) {
	case IMAP_SEARCH_AND:
	case IMAP_SEARCH_OR:
	case IMAP_SEARCH_NOT:
		return eval_children(c, k, m);
	default:
		if (is_costly(k->type))
			return eval_cached(c, k, m);
		return eval_cheap(c, k, m) ? TRI_YES : TRI_NO;
	}
}

static bool
eval_cheap(struct search_ctx *c, const struct imap_search_key *k, struct search_msg *m)
{
	const struct store_msg_meta *meta = m->meta;
	long iday = imap_date_day(meta->internaldate, 0);
	/* no usable Date: header: the internal date stands in (as Dovecot does) */
	long sday = meta->sent_date != 0 ? imap_date_day(meta->sent_date, meta->sent_tz) : iday;
	int kw;

	switch (k->type) {
	case IMAP_SEARCH_SEQSET:
		return imap_seqset_contains(&k->set, m->seq);
	case IMAP_SEARCH_UID:
		return imap_seqset_contains(&k->set, m->vm->uid);
	case IMAP_SEARCH_FLAG:
		return (m->vm->flags & imap_flags_to_store(k->flag)) != 0;
	case IMAP_SEARCH_KEYWORD:
		kw = store_view_keyword_index(c->s->view, k->value);
		return kw >= 0 && (m->vm->keywords & (1ull << kw));
	case IMAP_SEARCH_BEFORE:
		return cmp_day(iday, k->day) < 0;
	case IMAP_SEARCH_ON:
		return cmp_day(iday, k->day) == 0;
	case IMAP_SEARCH_SINCE:
		return cmp_day(iday, k->day) >= 0;
	case IMAP_SEARCH_SENTBEFORE:
		return cmp_day(sday, k->day) < 0;
	case IMAP_SEARCH_SENTON:
		return cmp_day(sday, k->day) == 0;
	case IMAP_SEARCH_SENTSINCE:
		return cmp_day(sday, k->day) >= 0;
	case IMAP_SEARCH_LARGER:
		return meta->size > k->number;
	case IMAP_SEARCH_SMALLER:
		return meta->size < k->number;
	case IMAP_SEARCH_FROM:
		if (m->rc != NULL)
			return match_folded(k, m, IMAP_FETCH_CACHE_FROM) ||
			       match_folded(k, m, IMAP_FETCH_CACHE_FROM_ADDRS);
		return match_addr(c, k, meta->from.data, meta->from.len, false);
	case IMAP_SEARCH_TO:
		return match_addr(c, k, meta->to.data, meta->to.len, false);
	case IMAP_SEARCH_CC:
		return match_addr(c, k, meta->cc.data, meta->cc.len, false);
	case IMAP_SEARCH_SUBJECT:
		if (m->rc != NULL)
			return match_folded(k, m, IMAP_FETCH_CACHE_SUBJECT);
		return match_text(k, meta->subject.data, meta->subject.len);
	case IMAP_SEARCH_MODSEQ:
		return m->vm->modseq >= k->number;
	default: /* ALL */
		return true;
	}
}

/* Resolves the sets of the tree ("*", "$") and finds which fields are needed. */
static void
prepare(struct search_ctx *c, struct imap_search_key *k)
{
	struct imap_session *s = c->s;
	size_t count = store_view_count(s->view);
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	struct imap_seqset in;

	switch (k->type) {
	case IMAP_SEARCH_SEQSET:
	case IMAP_SEARCH_UID:
		in = k->set;
		imap_seqset_init(&k->set);
		if (in.saved) {
			/* RFC 5182: "$" holds UIDs; as a sequence set it is mapped */
			if (k->type == IMAP_SEARCH_UID) {
				imap_seqset_resolve(&s->saved, 0, &k->set);
			} else {
				for (size_t i = 0; i < count; i++) {
					if (imap_seqset_contains(&s->saved, msgs[i].uid))
						imap_seqset_add(&k->set, (uint32_t)i + 1,
								(uint32_t)i + 1);
				}
				imap_seqset_normalize(&k->set);
			}
		} else {
			imap_seqset_resolve(&in,
					    k->type == IMAP_SEARCH_UID
						    ? (count > 0 ? msgs[count - 1].uid : 0)
						    : (uint32_t)count,
					    &k->set);
		}
		imap_seqset_free(&in);
		break;
	case IMAP_SEARCH_TO:
	case IMAP_SEARCH_CC:
		c->row_keys = true;
		c->fields |= STORE_MSG_SEARCH;
		break;
	case IMAP_SEARCH_FROM:
	case IMAP_SEARCH_SUBJECT:
		c->fields |= STORE_MSG_SEARCH;
		break;
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
		c->row_keys = true;
		break;
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		c->fields |= STORE_MSG_PARTS;
		break;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		c->fields |= STORE_MSG_HEADER_INFO; /* the Date: header's day */
		break;
	default:
		break;
	}
	if (is_costly(k->type))
		k->slot = c->n_slots++;
	/* the needle is folded once per command, not once per message */
	if (k->type >= IMAP_SEARCH_FROM && k->type <= IMAP_SEARCH_TEXT && k->matcher == NULL) {
		k->matcher = xmalloc(sizeof(*k->matcher));
		mime_text_matcher_init(k->matcher, k->value, strlen(k->value));
	}
	for (size_t i = 0; i < k->count; i++)
		prepare(c, &k->children[i]);
}

struct search_result {
	uint32_t *seqs;
	uint32_t *uids;
	size_t n;
	uint64_t max_modseq;
};

/* A SEARCH in progress (across slices). */
struct search_job {
	char *tag;
	bool uid;
	struct imap_search_query q;
	struct search_ctx c;
	struct search_result res;
	uint32_t next_uid;            /* where the walk goes on; 0 when it is done */
	uint32_t last_uid;            /* the view's last UID when the command started */
	struct search_msg m;          /* the message whose evaluation was cut (m.vm != NULL) */
	struct imap_search_hook hook; /* SORT, THREAD (name NULL: SEARCH) */
};

static void
search_msg_clear(struct search_msg *m)
{
	buf_free(&m->raw);
	if (m->parts_loaded)
		mime_parts_free(&m->parts);
	memset(m, 0, sizeof(*m));
}

/* One message: 1 evaluated, 0 cut (the slice's time is up; j->m keeps it). */
/* A matching message into the result: its number, UID and the highest MODSEQ so far
 * (RFC 7162 3.1.5). */
static void
result_add(struct search_job *j, uint32_t seq, const struct store_view_msg *vm)
{
	j->res.seqs[j->res.n] = seq;
	j->res.uids[j->res.n++] = vm->uid;
	if (vm->modseq > j->res.max_modseq)
		j->res.max_modseq = vm->modseq;
}

static int
search_one(struct search_job *j, struct search_msg *m)
{
	enum tri r = eval(&j->c, &j->q.root, m);

	if (r == TRI_LATER)
		return 0;
	if (r == TRI_YES) {
		if (j->hook.match != NULL)
			j->hook.match(j->hook.arg, j->c.s, m->seq, m->meta);
		result_add(j, m->seq, m->vm);
	}
	return 1;
}

/* Walks the messages from j->next_uid on until the end (1), the slice's time is up (0),
 * or an index error (-1). The view does not change meanwhile (the session is paused), so
 * its sequence numbers and flags are those of the command's start; the index gives the
 * immutable parts (a message another session expunged since is not found: as if the
 * expunge had come first). */
static int
search_walk(struct imap_session *s, struct search_job *j)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	size_t n_msgs = store_view_count(s->view), seq_hint = n_msgs;
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	unsigned n = 0;
	int ret;

	cur = store_msg_cursor_open(s->view, j->next_uid, j->last_uid, j->c.fields);
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
		struct search_msg *m = &j->m;

		if (m->vm != NULL && m->vm->uid != meta.uid)
			search_msg_clear(m); /* the message being evaluated is gone */
		if (m->vm == NULL) {
			uint32_t seq;

			/* the index and the view both ascend: usually the next entry is the one,
			 * no binary search of the view per message */
			if (seq_hint < n_msgs && msgs[seq_hint].uid == meta.uid)
				seq = (uint32_t)seq_hint + 1;
			else
				seq = store_view_seq(s->view, meta.uid);
			seq_hint = seq;

			if (seq == 0 || (msgs[seq - 1].flags & STORE_FLAG_EXPUNGED))
				continue;
			m->seq = seq;
			m->vm = &msgs[seq - 1];
			memset(j->c.known, TRI_UNKNOWN, j->c.n_slots);
		}
		m->meta = &meta;
		if (search_one(j, m) == 0) {
			j->next_uid = meta.uid;
			store_msg_cursor_close(&cur);
			return 0;
		}
		search_msg_clear(m);
		j->next_uid = meta.uid + 1;
		/* cheap keys only: look at the clock now and then */
		if (++n % 64 == 0 && j->c.budget != NULL && imap_slice_expired(j->c.budget) &&
		    meta.uid < j->last_uid) {
			store_msg_cursor_close(&cur);
			return 0;
		}
	}
	store_msg_cursor_close(&cur);
	if (ret < 0) {
		log_error("imap: %s: user=%s search failed: %s", s->base.id, s->account, error);
		return -1;
	}
	j->next_uid = 0;
	return 1;
}

/* RFC 7162 3.1.5 / RFC 4731: with only MIN and/or MAX, MODSEQ is the highest of the
 * messages returned; otherwise of all the messages found. */
static uint64_t
esearch_modseq(struct imap_session *s, const struct imap_search_query *q,
	       const struct search_result *res)
{
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	uint64_t a = 0, b = 0;

	if ((q->ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT)) ||
	    !(q->ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)))
		return res->max_modseq;
	if (q->ret & IMAP_SEARCH_RET_MIN)
		a = msgs[res->seqs[0] - 1].modseq;
	if (q->ret & IMAP_SEARCH_RET_MAX)
		b = msgs[res->seqs[res->n - 1] - 1].modseq;
	return a > b ? a : b;
}

void
imap_search_write_esearch(struct buf *b, const struct imap_search_query *q, const uint32_t *ids,
			  size_t n)
{
	if ((q->ret & IMAP_SEARCH_RET_MIN) && n > 0)
		buf_printf(b, " MIN %u", ids[0]);
	if ((q->ret & IMAP_SEARCH_RET_MAX) && n > 0)
		buf_printf(b, " MAX %u", ids[n - 1]);
	if (q->ret & IMAP_SEARCH_RET_COUNT)
		buf_printf(b, " COUNT %zu", n);
	if ((q->ret & IMAP_SEARCH_RET_ALL) && n > 0) {
		buf_appends(b, " ALL ");
		imap_seqset_write_list(b, ids, n);
	}
	if (q->ret & IMAP_SEARCH_RET_PARTIAL) {
		/* RFC 9394 3.1: positions lo..hi of the result (negative: from its end) */
		int64_t lo = q->partial_lo, hi = q->partial_hi;

		buf_printf(b, " PARTIAL (%d:%d ", (int)q->partial_lo, (int)q->partial_hi);
		if (lo < 0) {
			/* -1 is the last position */
			int64_t first = (int64_t)n + lo + 1, last = (int64_t)n + hi + 1;

			lo = first;
			hi = last;
		}
		if (lo < 1)
			lo = 1;
		if (hi > (int64_t)n)
			hi = (int64_t)n;
		if (lo > hi)
			buf_appends(b, "NIL");
		else
			imap_seqset_write_list(b, ids + lo - 1, (size_t)(hi - lo + 1));
		buf_appendc(b, ')');
	}
}

static void
search_reply(struct imap_session *s, const struct imap_command *cmd,
	     const struct imap_search_query *q, const struct search_result *res)
{
	const uint32_t *ids = cmd->uid ? res->uids : res->seqs;
	struct buf b = BUF_INIT;

	if (!q->esearch) {
		buf_appends(&b, "* SEARCH");
		for (size_t i = 0; i < res->n; i++)
			buf_printf(&b, " %u", ids[i]);
		if (q->has_modseq && res->n > 0)
			buf_printf(&b, " (MODSEQ %llu)", (unsigned long long)res->max_modseq);
	} else if (q->ret != IMAP_SEARCH_RET_SAVE) {
		/* RFC 4731 3.1; RFC 5182 2.4: SAVE alone gives no ESEARCH */
		buf_appends(&b, "* ESEARCH (TAG ");
		imap_quote_append_str(&b, cmd->tag);
		buf_appendc(&b, ')');
		if (cmd->uid)
			buf_appends(&b, " UID");
		imap_search_write_esearch(&b, q, ids, res->n);
		if (q->has_modseq && res->n > 0)
			buf_printf(&b, " MODSEQ %llu",
				   (unsigned long long)esearch_modseq(s, q, res));
	}
	if (b.len > 0) {
		buf_appends(&b, "\r\n");
		imap_send_raw(s, b.data, b.len);
	}
	buf_free(&b);
}

static void
search_job_free(void *arg)
{
	struct search_job *j = arg;

	search_msg_clear(&j->m);
	if (j->hook.free != NULL)
		j->hook.free(j->hook.arg);
	free(j->res.seqs);
	free(j->res.uids);
	free(j->c.known);
	buf_free(&j->c.addrs);
	imap_search_query_free(&j->q);
	free(j->tag);
	free(j);
}

/* RFC 5267 4.3 RETURN (UPDATE): the session keeps the query and the result, and tells
 * the client how the result changes (imap_context.c). The query moves there. */
static void
search_keep_context(struct imap_session *s, struct search_job *j)
{
	struct imap_context_def def = {
		.tag = j->tag,
		.uid = j->uid,
		.fields = j->c.fields,
		.n_slots = j->c.n_slots,
		.crit = j->hook.crit,
		.n_crit = j->hook.n_crit,
		.sort_keys = j->hook.sort_keys,
	};
	const uint32_t *uids = j->res.uids;
	size_t n = j->res.n;

	if (!(j->q.ret & IMAP_SEARCH_RET_UPDATE))
		return;
	if (j->hook.result_uids != NULL)
		uids = j->hook.result_uids(j->hook.arg, &n);
	if (imap_context_add(s, &def, &j->q, uids, n))
		memset(&j->q, 0, sizeof(j->q));
	else
		imap_send(s, "* NO [NOUPDATE \"%s\"] Too many contexts", j->tag);
}

static void
search_finish(struct imap_session *s, struct search_job *j)
{
	const struct imap_command cmd = {.tag = j->tag,
					 .name = j->hook.name != NULL ? j->hook.name : "SEARCH",
					 .uid = j->uid};

	if (j->q.ret & IMAP_SEARCH_RET_SAVE) {
		/* RFC 5182 2.1: the result, as UIDs, for "$" (of a SORT too, RFC 5182 2.4) */
		imap_seqset_clear(&s->saved);
		for (size_t i = 0; i < j->res.n; i++)
			imap_seqset_add(&s->saved, j->res.uids[i], j->res.uids[i]);
		imap_seqset_normalize(&s->saved);
	}
	if (j->hook.finish != NULL) {
		j->hook.finish(j->hook.arg, s, &cmd, &j->q);
		search_keep_context(s, j);
		imap_ok(s, j->tag, "%s completed", cmd.name);
		return;
	}
	search_reply(s, &cmd, &j->q, &j->res);
	search_keep_context(s, j);
	imap_ok(s, j->tag, "SEARCH completed");
}

/* SORT and THREAD whose query reads nothing from the index but INTERNALDATE and size
 * (ALL, flags, sets, dates of arrival, sizes, keywords, MODSEQ: the usual "sort the
 * mailbox"): evaluated at once on the view, each message's data from the sort cache, a
 * merge of two UID-ordered lists. false when the cache cannot serve it. */
static bool
search_from_cache(struct imap_session *s, struct search_job *j, unsigned query_fields)
{
	const struct imap_sort_set *cache;
	const struct store_view_msg *msgs;
	size_t count = store_view_count(s->view), k = 0;

	if (j->hook.cached_match == NULL || query_fields != 0 || j->c.n_slots != 0 ||
	    (cache = imap_sort_cache_get(s, j->hook.sort_keys)) == NULL)
		return false;
	msgs = store_view_msgs(s->view);
	for (size_t i = 0; i < count; i++) {
		const struct store_view_msg *vm = &msgs[i];
		const struct imap_sort_msg *e;
		struct store_msg_meta meta;
		struct search_msg m;

		if (vm->flags & STORE_FLAG_EXPUNGED)
			continue;
		while (k < cache->n && cache->msgs[k].uid < vm->uid)
			k++;
		if (k == cache->n || cache->msgs[k].uid != vm->uid)
			continue; /* expunged by another session: as the index walk would */
		e = &cache->msgs[k];
		memset(&meta, 0, sizeof(meta));
		meta.uid = vm->uid;
		meta.flags = vm->flags;
		meta.keywords = vm->keywords;
		meta.modseq = vm->modseq;
		meta.internaldate = (time_t)e->arrival;
		meta.size = e->size;
		memset(&m, 0, sizeof(m));
		m.seq = (uint32_t)i + 1;
		m.vm = vm;
		m.meta = &meta;
		if (eval(&j->c, &j->q.root, &m) != TRI_YES)
			continue;
		j->hook.cached_match(j->hook.arg, e, m.seq, cache->arena.data);
		result_add(j, m.seq, vm);
	}
	j->next_uid = 0;
	return true;
}

static enum imap_slice_result search_step(struct imap_session *s, void *arg,
					  const struct imap_slice_budget *budget);

/* The first SORT/THREAD of a big mailbox: its keys are read into the sort cache in slices
 * (imap_sort_cache_load), then it runs from the cache (or walks the index if it cannot). */
static enum imap_slice_result
search_cache_step(struct imap_session *s, void *arg, const struct imap_slice_budget *budget)
{
	struct search_job *j = arg;
	int ret = imap_sort_cache_load(s, budget);

	if (ret == 0)
		return IMAP_SLICE_MORE;
	if (ret == 1 && search_from_cache(s, j, 0)) {
		search_finish(s, j);
		return IMAP_SLICE_DONE;
	}
	return search_step(s, arg, budget);
}

/* A SEARCH whose keys read nothing from the index but SUBJECT and FROM (with flags,
 * sets, MODSEQ, NOT/OR): evaluated at once on the view against the in-memory cache of
 * folded fields (imap_fetch_cache.h), no row read. false when it cannot serve it. */
static bool
search_from_read_cache(struct imap_session *s, struct search_job *j)
{
	const struct imap_fetch_cache *rc;
	const struct store_view_msg *msgs;
	size_t count = store_view_count(s->view), hint = 0;

	if (j->hook.match != NULL || j->hook.cached_match != NULL ||
	    j->c.fields != STORE_MSG_SEARCH || j->c.n_slots != 0 || j->c.row_keys ||
	    (rc = imap_fetch_cache_get(s, true)) == NULL)
		return false;
	msgs = store_view_msgs(s->view);
	for (size_t i = 0; i < count; i++) {
		const struct store_view_msg *vm = &msgs[i];
		struct store_msg_meta meta;
		struct search_msg m;
		size_t at;

		if (vm->flags & STORE_FLAG_EXPUNGED)
			continue;
		if ((at = imap_fetch_cache_find(rc, vm->uid, &hint)) == SIZE_MAX)
			continue; /* expunged by another session: as the index walk would */
		memset(&meta, 0, sizeof(meta));
		meta.uid = vm->uid;
		memset(&m, 0, sizeof(m));
		m.seq = (uint32_t)i + 1;
		m.vm = vm;
		m.meta = &meta;
		m.rc = rc;
		m.rc_i = at;
		if (eval(&j->c, &j->q.root, &m) != TRI_YES)
			continue;
		result_add(j, m.seq, vm);
	}
	j->next_uid = 0;
	return true;
}

static enum imap_slice_result
search_step(struct imap_session *s, void *arg, const struct imap_slice_budget *budget)
{
	struct search_job *j = arg;
	int ret = 1;

	j->c.budget = budget;
	j->c.worked = false;
	if (j->next_uid != 0)
		ret = search_walk(s, j);
	if (ret == 0)
		return IMAP_SLICE_MORE;
	if (ret < 0)
		imap_no(s, j->tag, "[SERVERBUG] %s failed",
			j->hook.name != NULL ? j->hook.name : "SEARCH");
	else
		search_finish(s, j);
	return IMAP_SLICE_DONE;
}

void
imap_cmd_search(struct imap_session *s, const struct imap_command *cmd)
{
	imap_search_run(s, cmd, cmd->args, cmd->count, NULL);
}

int
imap_search_eval_view(struct imap_session *s, struct imap_search_query *q, unsigned fields,
		      unsigned n_slots, const struct imap_search_hook *hook, uint32_t **uids_r,
		      size_t *n_r)
{
	return imap_search_eval_uids(s, q, fields, n_slots, hook, NULL, 0, uids_r, n_r);
}

int
imap_search_eval_uids(struct imap_session *s, struct imap_search_query *q, unsigned fields,
		      unsigned n_slots, const struct imap_search_hook *hook, const uint32_t *only,
		      size_t n_only, uint32_t **uids_r, size_t *n_r)
{
	size_t count = store_view_count(s->view);
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	struct search_job *j = xcalloc(1, sizeof(*j));
	int ret = 1;

	j->q = *q; /* borrowed: not freed here */
	if (hook != NULL)
		j->hook = *hook;
	j->c.s = s;
	j->c.fields = fields;
	j->c.n_slots = n_slots;
	j->c.known = xmalloc(n_slots > 0 ? n_slots : 1);
	j->res.seqs = xmalloc((count > 0 ? count : 1) * sizeof(uint32_t));
	j->res.uids = xmalloc((count > 0 ? count : 1) * sizeof(uint32_t));
	if (only != NULL) {
		/* each run of consecutive UIDs in one walk */
		for (size_t i = 0; i < n_only && ret >= 0;) {
			size_t e = i + 1;

			while (e < n_only && only[e] == only[e - 1] + 1)
				e++;
			j->next_uid = only[i];
			j->last_uid = only[e - 1];
			ret = search_walk(s, j);
			search_msg_clear(&j->m);
			i = e;
		}
	} else if (count > 0) {
		j->next_uid = msgs[0].uid;
		j->last_uid = msgs[count - 1].uid;
		ret = search_walk(s, j); /* no budget: all at once */
	}
	search_msg_clear(&j->m);
	free(j->res.seqs);
	free(j->c.known);
	buf_free(&j->c.addrs);
	if (ret < 0) {
		free(j->res.uids);
		free(j);
		return -1;
	}
	*uids_r = j->res.uids;
	*n_r = j->res.n;
	free(j);
	return 0;
}

void
imap_search_run_charset(struct imap_session *s, const struct imap_command *cmd,
			const struct imap_arg *prefix, size_t n_prefix, const struct imap_arg *rest,
			size_t n_rest, const struct imap_search_hook *hook)
{
	struct imap_arg *args = xcalloc(n_prefix + n_rest + 1, sizeof(*args));

	if (n_prefix > 0)
		memcpy(args, prefix, n_prefix * sizeof(*args));
	args[n_prefix].type = IMAP_ARG_ATOM;
	args[n_prefix].str = "CHARSET";
	args[n_prefix].len = 7;
	memcpy(args + n_prefix + 1, rest, n_rest * sizeof(*args));
	imap_search_run(s, cmd, args, n_prefix + n_rest + 1, hook);
	free(args);
}

void
imap_search_run(struct imap_session *s, const struct imap_command *cmd, const struct imap_arg *args,
		size_t count_args, const struct imap_search_hook *hook)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	size_t count = store_view_count(s->view);
	const struct store_view_msg *msgs = store_view_msgs(s->view);
	struct search_job *j;
	const char *error;
	size_t n_keys;
	unsigned query_fields;

	j = xcalloc(1, sizeof(*j));
	if (hook != NULL)
		j->hook = *hook;
	if (imap_search_parse(args, count_args, &j->q, &error) < 0) {
		if (j->q.bad_charset)
			imap_no(s, cmd->tag, "[BADCHARSET (US-ASCII UTF-8)] %s", error);
		else
			imap_bad(s, cmd->tag, "%s", error);
		search_job_free(j);
		return;
	}
	/* the work is keys x messages: bound the keys (RFC 5530 LIMIT) */
	if ((n_keys = imap_search_count_keys(&j->q.root)) > set->imap_search_max_keys) {
		imap_no(s, cmd->tag, "[LIMIT] Too many search keys (%zu, at most %u)", n_keys,
			set->imap_search_max_keys);
		search_job_free(j);
		return;
	}
	if (s->rev2 && !j->q.esearch) {
		/* RFC 9051 6.4.4: IMAP4rev2 answers a SEARCH without RETURN with ESEARCH ALL */
		j->q.esearch = true;
		j->q.ret = IMAP_SEARCH_RET_ALL;
	}
	j->tag = xstrdup(cmd->tag);
	j->uid = cmd->uid;
	j->c.s = s;
	if (j->q.has_modseq)
		imap_condstore_enable(s); /* RFC 7162 3.1 */
	prepare(&j->c, &j->q.root);
	query_fields = j->c.fields;
	j->c.fields |= j->hook.fields;
	j->c.known = xmalloc(j->c.n_slots > 0 ? j->c.n_slots : 1);
	j->res.seqs = xmalloc((count > 0 ? count : 1) * sizeof(uint32_t));
	j->res.uids = xmalloc((count > 0 ? count : 1) * sizeof(uint32_t));
	if (count > 0) {
		j->next_uid = msgs[0].uid;
		j->last_uid = msgs[count - 1].uid;
	}
	if (j->hook.cached_match != NULL && query_fields == 0 && j->c.n_slots == 0 &&
	    imap_sort_cache_loading(s)) {
		imap_slice_run(s, search_cache_step, search_job_free, j);
		return;
	}
	if (search_from_cache(s, j, query_fields) || search_from_read_cache(s, j)) {
		search_finish(s, j);
		search_job_free(j);
		return;
	}
	imap_slice_run(s, search_step, search_job_free, j);
}
