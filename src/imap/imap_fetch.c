/* FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2): metadata from the index (never re-parsing
 * the message), BODY[section]<partial> by byte range from the parts blob, big ranges
 * streamed from the message file, \Seen set by non-PEEK items, CONDSTORE MODSEQ and
 * CHANGEDSINCE, QRESYNC VANISHED (EARLIER) (RFC 7162 3.2.6). */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_date.h"
#include "imap/imap_fetch.h"
#include "imap/imap_fetch_cache.h"
#include "imap/imap_session.h"
#include "imap/imap_write.h"
#include "log/log.h"
#include "mail/mime_cte.h"
#include "mail/rfc5322.h"
#include "net/conn.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/xmalloc.h"

/* A FETCH of fewer messages than this does not fill the in-memory cache of a mailbox that
 * has none yet (one index walk of the whole mailbox): "UID FETCH n (BODYSTRUCTURE)" reads
 * its row; it uses the cache once there. Unless the mailbox has at most
 * FETCH_CACHE_SMALL_MAILBOX messages: its walk costs about as much as the FETCH. */
#define FETCH_CACHE_CREATE_MIN 32
#define FETCH_CACHE_SMALL_MAILBOX 256
/* Ranges past this are sent from the file instead of through memory. */
#define FETCH_STREAM_MIN (256 * 1024)
/* Responses are handed to the connection in chunks of about this size... */
#define FETCH_CHUNK (64 * 1024)
/* ...and producing pauses while more than this waits to be sent (docs/style.md "Memory"):
 * "FETCH 1:* BODY[]" on a big mailbox never sits in memory whole. Small enough that the
 * first bytes leave early (the client parses while the rest is produced). */
#define FETCH_OUTPUT_HIGH (128 * 1024)

/* One FETCH in progress; it outlives imap_cmd_fetch() when paused for output. */
struct imap_fetch_run {
	struct imap_session *s;
	char *tag;
	struct imap_fetch_plan plan;
	uint32_t *uids; /* what to send, ascending */
	size_t n_uids;
	size_t next; /* index in uids of the next message */
	struct buf out;
	struct buf scratch; /* HEADER.FIELDS filtered, reused from message to message */
	/* FLAGS of the message before, as written: most messages of a FETCH 1:* (FLAGS)
	 * share a few flag sets, so each is rendered once per step */
	struct buf flags_memo;
	uint32_t memo_flags;
	uint64_t memo_keywords;
	bool memo_valid;
	/* fetch_step_view: meta.header is the one section, filtered (imap_fetch_cache) */
	bool header_filtered;
	uint32_t *seen_set; /* UIDs whose \Seen this FETCH set (sorted) */
	size_t n_seen_set;
	bool unknown_cte; /* a BINARY item met a CTE it cannot undo: NO [UNKNOWN-CTE] */
	bool read_failed; /* a message file could not be read: NIL sent, NO [SERVERBUG] */
};

static bool
uid_in(const uint32_t *uids, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (uids[mid] == uid)
			return true;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Writers into room the caller reserved (fetch_items): FETCH 1:* writes a few short
 * pieces per message, and a buf_append() call per piece cost more than the pieces. */
static inline char *
put(char *p, const void *data, size_t len)
{
	if (len > 0) /* data may be NULL then (an empty blob) */
		memcpy(p, data, len);
	return p + len;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* An item's name, after a space unless it is the first item (*sep false). */
static inline char *
put_name(char *p, bool *sep, const char *name, size_t len)
{
	if (*sep)
		*p++ = ' ';
	*sep = true;
	return put(p, name, len);
}

#define PUT_NAME(p, sep, lit) put_name((p), (sep), (lit), sizeof(lit) - 1)
/* the longest put_num() */
#define NUM_MAX 20

/* A number in decimal (printf costs more than the rest of the line). */
static inline char *
put_num(char *p, uint64_t n)
{
	char tmp[NUM_MAX];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	return put(p, tmp + i, sizeof(tmp) - i);
}

static void
fetch_num(struct buf *out, uint64_t n)
{
	buf_reserve(out, NUM_MAX);
	out->len = (size_t)(put_num(out->data + out->len, n) - out->data);
	out->data[out->len] = '\0';
}

/* The space before an item, none right after "FETCH (". */
static void
fetch_sep(struct imap_fetch_run *r)
{
	if (r->out.len == 0 || r->out.data[r->out.len - 1] != '(')
		buf_appendc(&r->out, ' ');
}

static void
fetch_flush(struct imap_fetch_run *r)
{
	imap_send_raw(r->s, r->out.data, r->out.len);
	buf_reset(&r->out);
}

/* Sends [offset, offset+len) of the message as a literal's data. Returns -1 when the
 * message file cannot be read (gone, an I/O error) while nothing of the literal has left
 * r->out yet, so that the caller can take the literal back. */
static int
fetch_range(struct imap_fetch_run *r, const struct store_msg_meta *meta, uint64_t offset,
	    uint64_t len)
{
	const char *error;
	uint64_t size;
	bool flushed = false;
	int fd;

	if (len >= FETCH_STREAM_MIN && r->s->base.conn != NULL) {
		fd = store_msg_open_meta(r->s->view, meta, &size, &error);
		if (fd >= 0) {
			fetch_flush(r);
			flushed = true;
			if (conn_write_file(r->s->base.conn, fd, (off_t)offset, len) == 0)
				return 0;
		}
	}
	if (store_msg_read_meta(r->s->view, meta, offset, len, &r->out, &error) < 0) {
		log_error("imap: %s: uid=%u read failed: %s", r->s->base.id, meta->uid, error);
		/* after a flush the literal's size is on the wire and the connection failed
		 * under conn_write_file anyway: it is being closed */
		return flushed ? 0 : -1;
	}
	return 0;
}

/* The part a BINARY item decodes: MIME_NONE for BINARY[] (the message as it is) and for
 * parts that do not exist (an empty string is sent). */
static uint32_t
binary_part(const struct mime_parts *parts, const struct imap_fetch_section *sec)
{
	if (parts == NULL || sec->spec.path_len == 0)
		return MIME_NONE;
	return mime_section_part(parts, &sec->spec);
}

/* RFC 3516 4.2: whether one of the message's BINARY items names a part whose CTE is
 * unknown (checked before anything of the message is written). */
static bool
binary_unknown_cte(const struct imap_fetch_plan *p, const struct mime_parts *parts)
{
	for (size_t i = 0; i < p->n_sections; i++) {
		uint32_t idx;

		if (!p->sections[i].binary && !p->sections[i].binary_size)
			continue;
		idx = binary_part(parts, &p->sections[i]);
		if (idx != MIME_NONE && parts->parts[idx].enc == MIME_ENC_UNKNOWN &&
		    (parts->parts[idx].flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) == 0)
			return true;
	}
	return false;
}

/* BINARY[part]<partial> and BINARY.SIZE[part] (RFC 3516 4.2): the part's body read, undone
 * from its CTE (multiparts and messages are sent as they are), then cut. Content with a
 * NUL goes out as literal8. */
static void
fetch_binary(struct imap_fetch_run *r, const struct store_msg_meta *meta,
	     const struct mime_parts *parts, const struct imap_fetch_section *sec)
{
	struct mime_section_range range;
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	const struct buf *content = &raw;
	uint32_t idx = binary_part(parts, sec);
	const char *error;
	uint64_t start, len;

	fetch_sep(r);
	buf_printf(&r->out, "%s ", sec->echo);
	if (imap_fetch_section_whole(sec)) {
		range = (struct mime_section_range){0, meta->size, false};
	} else if (parts == NULL || mime_section_find(parts, &sec->spec, &range) < 0) {
		buf_appends(&r->out, sec->binary_size ? "0" : "\"\"");
		return;
	}
	if (store_msg_read_meta(r->s->view, meta, range.offset, range.size, &raw, &error) < 0)
		log_error("imap: %s: uid=%u read failed: %s", r->s->base.id, meta->uid, error);
	if (idx != MIME_NONE &&
	    (parts->parts[idx].flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) == 0 &&
	    mime_cte_decode(parts->parts[idx].enc, raw.data != NULL ? raw.data : "", raw.len,
			    &dec) == 0)
		content = &dec;
	if (sec->binary_size) {
		fetch_num(&r->out, content->len);
	} else {
		start = sec->partial ? (sec->offset < content->len ? sec->offset : content->len)
				     : 0;
		len = content->len - start;
		if (sec->partial && sec->size < len)
			len = sec->size;
		buf_printf(&r->out, "%s{%llu}\r\n",
			   mime_cte_has_nul(content->data + start, len) ? "~" : "",
			   (unsigned long long)len);
		if (len > 0)
			buf_append(&r->out, content->data + start, len);
	}
	buf_free(&raw);
	buf_free(&dec);
}

/* The top-level header kept in the index at delivery (store_msg_meta.header), when range
 * is exactly it: BODY[HEADER], BODY[HEADER.FIELDS (...)] and RFC822.HEADER of the message
 * itself then read no message file (a FETCH 1:* of header fields opened 10,000 files). */
static const struct store_blob *
cached_header(const struct store_msg_meta *meta, const struct mime_section_range *range)
{
	if (meta->header.data == NULL || range->offset != 0 || range->size != meta->header.len)
		return NULL;
	return &meta->header;
}

static void
fetch_section(struct imap_fetch_run *r, const struct store_msg_meta *meta,
	      const struct mime_parts *parts, const struct imap_fetch_section *sec)
{
	const struct store_blob *cached;
	struct mime_section_range range;
	struct buf hdr = BUF_INIT, filtered = BUF_INIT;
	const char *error;
	uint64_t start, len;
	size_t lit_at;

	if (sec->binary || sec->binary_size) {
		fetch_binary(r, meta, parts, sec);
		return;
	}
	fetch_sep(r);
	buf_printf(&r->out, "%s ", sec->echo);
	if (imap_fetch_section_whole(sec)) {
		range = (struct mime_section_range){0, meta->size, false};
	} else if (parts == NULL || mime_section_find(parts, &sec->spec, &range) < 0) {
		buf_appends(&r->out, "\"\"");
		return;
	}
	cached = cached_header(meta, &range);
	if (range.filter) {
		if (cached != NULL)
			buf_append(&hdr, cached->data, cached->len);
		else if (store_msg_read_meta(r->s->view, meta, range.offset, range.size, &hdr,
					     &error) < 0)
			log_error("imap: %s: uid=%u read failed: %s", r->s->base.id, meta->uid,
				  error);
		rfc5322_header_filter(buf_cstr(&hdr), hdr.len,
				      (const char *const *)sec->spec.fields, sec->spec.nfields,
				      sec->spec.kind == MIME_SECTION_HEADER_FIELDS_NOT, &filtered);
		start = sec->partial ? (sec->offset < filtered.len ? sec->offset : filtered.len)
				     : 0;
		len = filtered.len - start;
		if (sec->partial && sec->size < len)
			len = sec->size;
		buf_printf(&r->out, "{%llu}\r\n", (unsigned long long)len);
		buf_append(&r->out, filtered.data + start, len);
		buf_free(&hdr);
		buf_free(&filtered);
		return;
	}
	start = sec->partial ? (sec->offset < range.size ? sec->offset : range.size) : 0;
	len = range.size - start;
	if (sec->partial && sec->size < len)
		len = sec->size;
	lit_at = r->out.len;
	buf_printf(&r->out, "{%llu}\r\n", (unsigned long long)len);
	if (len > 0 && cached != NULL) {
		buf_append(&r->out, cached->data + start, len);
	} else if (len > 0 && fetch_range(r, meta, range.offset + start, len) < 0) {
		/* a literal announced and never sent would leave the client waiting forever:
		 * the section is an nstring (RFC 9051 7.5.2), NIL, and the FETCH ends in NO */
		r->out.len = lit_at;
		buf_appends(&r->out, "NIL");
		r->read_failed = true;
	}
}

/* The message's FLAGS list, as written; the rendering depends on the flags, the keywords
 * and the session's keyword list and revision, which a step does not change (fetch_step
 * resets the memo). */
static const struct buf *
fetch_flags(struct imap_fetch_run *r, const struct store_view_msg *vm)
{
	if (!r->memo_valid || r->memo_flags != vm->flags || r->memo_keywords != vm->keywords) {
		buf_reset(&r->flags_memo);
		imap_write_msg_flags(r->s, &r->flags_memo, vm);
		r->memo_flags = vm->flags;
		r->memo_keywords = vm->keywords;
		r->memo_valid = true;
	}
	return &r->flags_memo;
}

/* Whether sec is BODY[HEADER], BODY[HEADER.FIELDS[.NOT] (...)] or RFC822.HEADER of the
 * message itself and the index kept that header (schema step 6): then it is served from
 * meta->header without decoding the parts blob or reading the file (mime_section_find
 * gives exactly bytes 0..header_size for these, and meta->header is those bytes). */
static bool
section_from_header(const struct imap_fetch_section *sec, const struct store_msg_meta *meta)
{
	if (sec->binary || sec->binary_size || sec->spec.path_len != 0 ||
	    meta->header.data == NULL || meta->parts.data == NULL)
		return false;
	return sec->spec.kind == MIME_SECTION_HEADER ||
	       sec->spec.kind == MIME_SECTION_HEADER_FIELDS ||
	       sec->spec.kind == MIME_SECTION_HEADER_FIELDS_NOT;
}

/* The partial cut <offset.size> of a section of len bytes: *start_r and the length. */
static uint64_t
section_cut(const struct imap_fetch_section *sec, uint64_t len, uint64_t *start_r)
{
	uint64_t start = sec->partial ? (sec->offset < len ? sec->offset : len) : 0;

	len -= start;
	if (sec->partial && sec->size < len)
		len = sec->size;
	*start_r = start;
	return len;
}

/* A section's bytes (HEADER.FIELDS already filtered) as a literal, cut by its <partial>. */
static void
fetch_literal(struct imap_fetch_run *r, const struct imap_fetch_section *sec, const char *data,
	      uint64_t len)
{
	uint64_t start;

	fetch_sep(r);
	buf_appends(&r->out, sec->echo);
	len = section_cut(sec, len, &start);
	buf_appends(&r->out, " {");
	fetch_num(&r->out, len);
	buf_appends(&r->out, "}\r\n");
	buf_append(&r->out, data + start, len);
}

static void
fetch_header_section(struct imap_fetch_run *r, const struct store_msg_meta *meta,
		     const struct imap_fetch_section *sec)
{
	if (sec->spec.kind == MIME_SECTION_HEADER) {
		fetch_literal(r, sec, meta->header.data, meta->header.len);
		return;
	}
	buf_reset(&r->scratch);
	rfc5322_header_filter(meta->header.data, meta->header.len,
			      (const char *const *)sec->spec.fields, sec->spec.nfields,
			      sec->spec.kind == MIME_SECTION_HEADER_FIELDS_NOT, &r->scratch);
	fetch_literal(r, sec, r->scratch.data, r->scratch.len);
}

/* "* seq FETCH (" and the items before the sections, written into room reserved once
 * (RFC 3501 7.4.2; the order is the one fetch_one() always used). */
static void
fetch_items(struct imap_fetch_run *r, uint32_t seq, const struct store_view_msg *vm,
	    const struct store_msg_meta *meta)
{
	unsigned items = r->plan.items;
	const struct buf *flags = NULL;
	/* the fixed text, 4 numbers, a date (imap_date_time_write reserves its own) */
	size_t need = 128 + 4 * NUM_MAX;
	bool sep = false;
	char *p;

	if ((items & IMAP_FETCH_FLAGS) ||
	    (r->n_seen_set > 0 && uid_in(r->seen_set, r->n_seen_set, vm->uid))) {
		flags = fetch_flags(r, vm);
		need += flags->len;
	}
	if (items & IMAP_FETCH_ENVELOPE)
		need += meta->envelope.len;
	if (items & IMAP_FETCH_BODY)
		need += meta->body.len;
	if (items & IMAP_FETCH_BODYSTRUCTURE)
		need += meta->bodystructure.len;
	buf_reserve(&r->out, need);
	p = r->out.data + r->out.len;
	p = PUT_LIT(p, "* ");
	p = put_num(p, seq);
	p = PUT_LIT(p, " FETCH (");
	if (items & IMAP_FETCH_UID) {
		p = PUT_NAME(p, &sep, "UID ");
		p = put_num(p, vm->uid);
	}
	if (flags != NULL) {
		p = PUT_NAME(p, &sep, "FLAGS ");
		p = put(p, flags->data, flags->len);
	}
	if (items & IMAP_FETCH_INTERNALDATE) {
		p = PUT_NAME(p, &sep, "INTERNALDATE ");
		r->out.len = (size_t)(p - r->out.data);
		imap_date_time_write(&r->out, meta->internaldate, meta->internaldate_tz);
		buf_reserve(&r->out, need);
		p = r->out.data + r->out.len;
	}
	if (items & IMAP_FETCH_SIZE) {
		p = PUT_NAME(p, &sep, "RFC822.SIZE ");
		p = put_num(p, meta->size);
	}
	if (items & IMAP_FETCH_ENVELOPE)
		p = put(PUT_NAME(p, &sep, "ENVELOPE "), meta->envelope.data, meta->envelope.len);
	if (items & IMAP_FETCH_BODY)
		p = put(PUT_NAME(p, &sep, "BODY "), meta->body.data, meta->body.len);
	if (items & IMAP_FETCH_BODYSTRUCTURE)
		p = put(PUT_NAME(p, &sep, "BODYSTRUCTURE "), meta->bodystructure.data,
			meta->bodystructure.len);
	if (items & IMAP_FETCH_MODSEQ) {
		p = PUT_NAME(p, &sep, "MODSEQ (");
		p = put_num(p, vm->modseq);
		*p++ = ')';
	}
	r->out.len = (size_t)(p - r->out.data);
	r->out.data[r->out.len] = '\0';
}

static void
fetch_one(struct imap_fetch_run *r, uint32_t seq, const struct store_view_msg *vm,
	  const struct store_msg_meta *meta)
{
	const struct imap_fetch_plan *p = &r->plan;
	struct mime_parts parts = {NULL, 0};
	bool have_parts = false;

	bool need_parts = false;

	/* the parts blob is decoded only for sections that need it */
	for (size_t i = 0; i < p->n_sections && !need_parts && !r->header_filtered; i++)
		need_parts = !section_from_header(&p->sections[i], meta);
	if (need_parts && meta->parts.data != NULL &&
	    mime_parts_decode(meta->parts.data, meta->parts.len, &parts) == 0)
		have_parts = true;
	if (have_parts && binary_unknown_cte(p, &parts)) {
		/* RFC 3516 4.2: nothing of this message, NO [UNKNOWN-CTE] at the end */
		r->unknown_cte = true;
		mime_parts_free(&parts);
		return;
	}
	fetch_items(r, seq, vm, meta);
	for (size_t i = 0; i < p->n_sections; i++) {
		if (r->header_filtered)
			fetch_literal(r, &p->sections[i], meta->header.data, meta->header.len);
		else if (section_from_header(&p->sections[i], meta))
			fetch_header_section(r, meta, &p->sections[i]);
		else
			fetch_section(r, meta, have_parts ? &parts : NULL, &p->sections[i]);
	}
	if (have_parts)
		mime_parts_free(&parts);
	buf_append(&r->out, ")\r\n", 3);
	if (r->out.len >= FETCH_CHUNK)
		fetch_flush(r);
}

/* RFC 3501 6.4.5: non-PEEK body items set \Seen (not in a read-only mailbox). */
static void
fetch_set_seen(struct imap_fetch_run *r, const uint32_t *uids, size_t n)
{
	const struct store_view_msg *msgs = store_view_msgs(r->s->view);
	struct store_flags_result res;
	uint32_t *want = xmalloc((n > 0 ? n : 1) * sizeof(*want));
	const char *error;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t seq = store_view_seq(r->s->view, uids[i]);

		if (seq > 0 && !(msgs[seq - 1].flags & (STORE_FLAG_SEEN | STORE_FLAG_EXPUNGED)))
			want[k++] = uids[i];
	}
	memset(&res, 0, sizeof(res));
	if (k > 0 && store_view_store_flags(r->s->view, want, k, STORE_FLAGS_ADD, STORE_FLAG_SEEN,
					    NULL, 0, 0, &res, &error) == 0) {
		store_flags_result_free(&res);
		r->seen_set = want;
		r->n_seen_set = k;
		return;
	}
	free(want);
}

static void
fetch_vanished(struct imap_fetch_run *r, const uint32_t *uids, size_t n, const char *setstr)
{
	struct imap_seqset parsed, set;
	struct buf b = BUF_INIT;
	uint32_t *gone = NULL;
	size_t n_gone = 0, k = 0;
	const char *error;

	(void)uids;
	(void)n;
	imap_seqset_init(&parsed);
	imap_seqset_init(&set);
	if (imap_seqset_parse(&parsed, setstr, false, &error) == 0) {
		imap_seqset_resolve(&parsed, store_view_uidnext(r->s->view) - 1, &set);
		if (store_view_vanished_since(r->s->view, r->plan.changedsince,
					      imap_seqset_min(&set), imap_seqset_max(&set), &gone,
					      &n_gone, &error) == 0) {
			for (size_t i = 0; i < n_gone; i++) {
				if (imap_seqset_contains(&set, gone[i]))
					gone[k++] = gone[i];
			}
		}
	}
	if (k > 0) {
		buf_appends(&b, "* VANISHED (EARLIER) ");
		imap_seqset_write_list(&b, gone, k);
		buf_appends(&b, "\r\n");
		imap_send_raw(r->s, b.data, b.len);
	}
	free(gone);
	buf_free(&b);
	imap_seqset_free(&parsed);
	imap_seqset_free(&set);
}

/* Index of the first of uids[from..n) that is >= uid. */
static size_t
uid_lower_bound(const uint32_t *uids, size_t from, size_t n, uint32_t uid)
{
	size_t lo = from, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
fetch_output_full(struct imap_fetch_run *r)
{
	return r->s->base.conn != NULL && conn_output_len(r->s->base.conn) > FETCH_OUTPUT_HIGH;
}

/* FLAGS, UID and MODSEQ come from the view in memory: no index query at all (the
 * "FETCH 1:* (FLAGS)" of every client resync, and the cheapest single FETCH). */
static bool
fetch_view_only(const struct imap_fetch_plan *p)
{
	return (p->items & ~(unsigned)(IMAP_FETCH_FLAGS | IMAP_FETCH_UID | IMAP_FETCH_MODSEQ)) ==
		       0 &&
	       p->n_sections == 0;
}

/* The plan's one section when it is HEADER.FIELDS[.NOT] of the message itself (what the
 * in-memory cache can keep filtered); NULL when there is none, or others too. */
static const struct imap_fetch_section *
header_fields_section(const struct imap_fetch_plan *p)
{
	const struct imap_fetch_section *sec = p->sections;

	if (p->n_sections != 1 || sec->binary || sec->binary_size || sec->spec.path_len != 0 ||
	    (sec->spec.kind != MIME_SECTION_HEADER_FIELDS &&
	     sec->spec.kind != MIME_SECTION_HEADER_FIELDS_NOT))
		return NULL;
	return sec;
}

/* BODYSTRUCTURE, BODY, ENVELOPE, INTERNALDATE, RFC822.SIZE and one HEADER.FIELDS section
 * (with those) come from the in-memory cache (imap_fetch_cache.h), when the mailbox fits in
 * it: the FETCH 1:* (BODYSTRUCTURE), (FLAGS RFC822.SIZE), (UID FLAGS INTERNALDATE
 * RFC822.SIZE ENVELOPE) or (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc
 * Subject Date ...)]) of a client's sync. */
static bool
fetch_items_cached(const struct imap_fetch_plan *p)
{
	return (p->items &
		~(unsigned)(IMAP_FETCH_FLAGS | IMAP_FETCH_UID | IMAP_FETCH_MODSEQ |
			    IMAP_FETCH_BODYSTRUCTURE | IMAP_FETCH_SIZE | IMAP_FETCH_ENVELOPE |
			    IMAP_FETCH_BODY | IMAP_FETCH_INTERNALDATE)) == 0;
}

static bool
fetch_cache_only(const struct imap_fetch_plan *p)
{
	return fetch_items_cached(p) && (p->n_sections == 0 || header_fields_section(p) != NULL);
}

/* The messages from the view, with their BODYSTRUCTURE from c when c is not NULL. A
 * message c does not have is no longer in the index (expunged by another session since
 * the cache was filled... or before): skipped, as the index's cursor would. */
static int
fetch_step_view(struct imap_fetch_run *r, const struct imap_fetch_cache *c)
{
	size_t hint = 0;
	const struct store_view_msg *msgs = store_view_msgs(r->s->view);
	size_t n_msgs = store_view_count(r->s->view), seq_hint = n_msgs;
	struct store_msg_meta meta;

	memset(&meta, 0, sizeof(meta));
	while (r->next < r->n_uids) {
		uint32_t uid = r->uids[r->next++];
		uint32_t seq;

		/* both ascend: usually the message after the one before (FETCH 1:*), no
		 * binary search of the view per message */
		if (seq_hint < n_msgs && msgs[seq_hint].uid == uid)
			seq = (uint32_t)seq_hint + 1;
		else
			seq = store_view_seq(r->s->view, uid);
		seq_hint = seq;

		if (seq == 0 ||
		    (r->plan.has_changedsince && msgs[seq - 1].modseq <= r->plan.changedsince))
			continue;
		if (c != NULL) {
			size_t i = imap_fetch_cache_find(c, uid, &hint);

			if (i == SIZE_MAX)
				continue;
			meta.bodystructure.data = imap_fetch_cache_field(
				c, i, IMAP_FETCH_CACHE_BODYSTRUCTURE, &meta.bodystructure.len);
			meta.envelope.data = imap_fetch_cache_field(c, i, IMAP_FETCH_CACHE_ENVELOPE,
								    &meta.envelope.len);
			meta.body.data =
				imap_fetch_cache_field(c, i, IMAP_FETCH_CACHE_BODY, &meta.body.len);
			meta.size = c->sizes[i];
			meta.internaldate = (time_t)c->dates[i];
			meta.internaldate_tz = c->tzs[i];
			if (c->roffs != NULL && !r->header_filtered) {
				/* a small mailbox's: the sections as from the index's row (an
				 * entry marked expunged has none there: skipped, as the cursor) */
				const uint32_t *o = c->roffs + 2 * i;

				if (msgs[seq - 1].flags & STORE_FLAG_EXPUNGED)
					continue;
				meta.header.data = (c->rflags[i] & IMAP_FETCH_CACHE_HAS_HEADER)
							   ? c->rarena + o[0]
							   : NULL;
				meta.header.len = o[1] - o[0];
				meta.parts.data = (c->rflags[i] & IMAP_FETCH_CACHE_HAS_PARTS)
							  ? c->rarena + o[1]
							  : NULL;
				meta.parts.len = o[2] - o[1];
			}
			if (r->header_filtered) {
				meta.header.data = c->harena + c->hoffs[i];
				meta.header.len = c->hoffs[i + 1] - c->hoffs[i];
				if (meta.header.len == 0)
					continue; /* not in the index */
			}
		}
		meta.uid = uid;
		fetch_one(r, seq, &msgs[seq - 1], &meta);
		/* the connection's output grows only when fetch_one() flushed (r->out empty) */
		if (r->out.len == 0 && fetch_output_full(r) && r->next < r->n_uids)
			return 0;
	}
	return 1;
}

/* Sends messages from r->next on. 1 all sent, 0 paused until the output drains. */
static int
fetch_step(struct imap_fetch_run *r)
{
	const struct store_view_msg *msgs = store_view_msgs(r->s->view);
	size_t n_msgs = store_view_count(r->s->view), seq_hint = n_msgs;
	const struct imap_fetch_cache *cache;
	struct store_msg_cursor *cur;
	struct store_msg_meta meta;
	const char *error;
	int ret;

	if (r->next >= r->n_uids)
		return 1;
	r->memo_valid = false;
	if (fetch_view_only(&r->plan))
		return fetch_step_view(r, NULL);
	/* got again at every step: another session may have grown it during a pause */
	if (fetch_cache_only(&r->plan)) {
		/* a small mailbox is read whole in about the time of a FETCH of a few of its
		 * messages, and every later FETCH is then served from memory (not so a new
		 * header field list: each is a walk of its own) */
		bool create = r->n_uids >= FETCH_CACHE_CREATE_MIN ||
			      (r->plan.n_sections == 0 &&
			       store_view_count(r->s->view) <= FETCH_CACHE_SMALL_MAILBOX);

		r->header_filtered = r->plan.n_sections > 0;
		cache = r->header_filtered ? imap_fetch_cache_get_header(r->s, create,
									 &r->plan.sections[0].spec)
					   : imap_fetch_cache_get(r->s, create);
		if (cache != NULL)
			return fetch_step_view(r, cache);
		r->header_filtered = false;
	}
	/* sections of a small mailbox: its headers and parts are in memory too (the message
	 * file is read by UID for a section of the body); only while the view is current, so
	 * that every message it shows is in the index and has its file, as for the cursor */
	if (r->plan.n_sections > 0 && fetch_items_cached(&r->plan) &&
	    store_view_count(r->s->view) <= IMAP_FETCH_CACHE_SMALL &&
	    store_view_current(r->s->view)) {
		cache = imap_fetch_cache_get_small(r->s, true);
		if (cache != NULL)
			return fetch_step_view(r, cache);
	}
	cur = store_msg_cursor_open(r->s->view, r->uids[r->next], r->uids[r->n_uids - 1],
				    r->plan.fields);
	while ((ret = store_msg_cursor_next(cur, &meta, &error)) == 1) {
		uint32_t seq;

		/* both walk in UID order: usually the next one is the one (FETCH 1:*) */
		if (r->next < r->n_uids && r->uids[r->next] != meta.uid)
			r->next = uid_lower_bound(r->uids, r->next, r->n_uids, meta.uid);
		if (r->next >= r->n_uids || r->uids[r->next] != meta.uid)
			continue;
		r->next++;
		if (seq_hint < n_msgs && msgs[seq_hint].uid == meta.uid)
			seq = seq_hint + 1;
		else if ((seq = store_view_seq(r->s->view, meta.uid)) == 0)
			continue;
		seq_hint = seq;
		if (r->plan.has_changedsince && msgs[seq - 1].modseq <= r->plan.changedsince)
			continue;
		fetch_one(r, seq, &msgs[seq - 1], &meta);
		if (r->out.len > 0 && fetch_output_full(r))
			fetch_flush(r);
		if (fetch_output_full(r) && r->next < r->n_uids) {
			store_msg_cursor_close(&cur);
			return 0;
		}
	}
	if (ret < 0)
		log_error("imap: %s: user=%s fetch failed: %s", r->s->base.id, r->s->account,
			  error);
	store_msg_cursor_close(&cur);
	r->next = r->n_uids;
	return 1;
}

static void
fetch_run_free(struct imap_fetch_run **rp)
{
	struct imap_fetch_run *r = *rp;

	if (r == NULL)
		return;
	buf_free(&r->out);
	buf_free(&r->scratch);
	buf_free(&r->flags_memo);
	free(r->seen_set);
	free(r->uids);
	free(r->tag);
	imap_fetch_plan_free(&r->plan);
	free(r);
	*rp = NULL;
}

/* Runs r until it is done (the tagged OK sent, r freed: 1) or paused (0). */
static int
fetch_continue(struct imap_fetch_run *r)
{
	struct imap_session *s = r->s;

	if (fetch_step(r) == 0) {
		fetch_flush(r);
		s->fetch = r;
		conn_want_drain(s->base.conn);
		return 0;
	}
	fetch_flush(r);
	s->fetch = NULL;
	if (r->unknown_cte)
		imap_no(s, r->tag, "[UNKNOWN-CTE] Unknown Content-Transfer-Encoding");
	else if (r->read_failed)
		imap_no(s, r->tag, "[SERVERBUG] Some message data could not be read");
	else
		imap_ok(s, r->tag, "FETCH completed");
	fetch_run_free(&r);
	return 1;
}

void
imap_fetch_on_drain(struct imap_session *s)
{
	if (s->fetch == NULL || s->base.conn == NULL)
		return;
	if (fetch_continue(s->fetch) == 1 && imap_session_async_done(s))
		imap_session_resume(s);
}

void
imap_fetch_abort(struct imap_session *s)
{
	if (s->fetch == NULL)
		return;
	fetch_run_free(&s->fetch);
	s->base.pending--;
}

void
imap_fetch_unsolicited(struct imap_session *s, const struct imap_fetch_plan *plan,
		       const uint32_t *uids, size_t n)
{
	struct imap_fetch_run r;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.plan = *plan; /* borrowed: not freed here */
	r.uids = (uint32_t *)uids;
	r.n_uids = n;
	while (fetch_step(&r) == 0)
		fetch_flush(&r);
	fetch_flush(&r);
	/* what fetch_run_free() frees but the borrowed plan, uids and tag */
	buf_free(&r.out);
	buf_free(&r.scratch);
	buf_free(&r.flags_memo);
	free(r.seen_set);
}

void
imap_cmd_fetch(struct imap_session *s, const struct imap_command *cmd)
{
	struct imap_fetch_run *r;
	struct imap_fetch_plan plan;
	const char *setstr, *error;
	uint32_t *uids;
	size_t n;

	if (cmd->count < 2 || !imap_arg_get_atom(&cmd->args[0], &setstr)) {
		imap_bad(s, cmd->tag, "FETCH needs a message set and items");
		return;
	}
	if (imap_fetch_parse(cmd->args + 1, cmd->count - 1, &plan, &error) < 0) {
		imap_bad(s, cmd->tag, "%s", error);
		return;
	}
	if (plan.vanished && (!cmd->uid || !s->qresync)) {
		imap_fetch_plan_free(&plan);
		imap_bad(s, cmd->tag, "VANISHED needs UID FETCH and QRESYNC");
		return;
	}
	if (imap_uids_from_set(s, cmd->tag, setstr, cmd->uid, &uids, &n) < 0) {
		imap_fetch_plan_free(&plan);
		return;
	}
	/* RFC 7162 3.1: MODSEQ and CHANGEDSINCE switch CONDSTORE on */
	if ((plan.items & IMAP_FETCH_MODSEQ) || plan.has_changedsince)
		imap_condstore_enable(s);
	if (cmd->uid)
		plan.items |= IMAP_FETCH_UID;
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->tag = xstrdup(cmd->tag);
	r->plan = plan;
	r->uids = uids;
	r->n_uids = n;
	if (plan.set_seen && !s->readonly)
		fetch_set_seen(r, uids, n);
	if (plan.vanished)
		fetch_vanished(r, uids, n, setstr);
	/* paused: no other command runs until this one is answered */
	if (fetch_continue(r) == 0)
		imap_session_async_begin(s);
}
