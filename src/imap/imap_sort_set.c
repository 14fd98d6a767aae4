/* Collecting SORT/THREAD keys from the index (see imap_sort_set.h). */
#include "imap/imap_sort_set.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_session.h"
#include "log/log.h"
#include "mail/msg_sortkeys.h"
#include "store/store_msg.h"
#include "util/xmalloc.h"

/* A row from before the index kept the keys: built from the header now, and kept to be
 * stored back once the walk is over (the cursor holds the index's read transaction). */
static int
build_missing(struct imap_sort_set *set, struct imap_session *s, const struct store_msg_meta *meta,
	      struct msg_sortkeys *keys)
{
	struct buf hdr = BUF_INIT;
	const char *error;
	size_t start = set->fill_blobs.len;
	uint64_t len = meta->header_size > 0 ? meta->header_size : meta->size;

	if (store_msg_read(s->view, meta->uid, 0, len, &hdr, &error) < 0)
		log_error("imap: %s: uid=%u read failed: %s", s->base.id, meta->uid, error);
	msg_sortkeys_build(buf_cstr(&hdr), hdr.len, &set->fill_blobs);
	buf_free(&hdr);
	if (set->n_fill == set->cap_fill) {
		set->cap_fill = set->cap_fill ? set->cap_fill * 2 : 64;
		set->fill_uids = xrealloc(set->fill_uids, set->cap_fill * sizeof(uint32_t));
		set->fill_lens = xrealloc(set->fill_lens, set->cap_fill * sizeof(uint32_t));
	}
	set->fill_uids[set->n_fill] = meta->uid;
	set->fill_lens[set->n_fill++] = (uint32_t)(set->fill_blobs.len - start);
	return msg_sortkeys_parse(set->fill_blobs.data + start, set->fill_blobs.len - start, keys);
}

void
imap_sort_set_add(struct imap_sort_set *set, struct imap_session *s, uint32_t seq,
		  const struct store_msg_meta *meta)
{
	struct msg_sortkeys keys;
	struct imap_sort_msg *m;

	if (set->keys == 0) {
		memset(&keys, 0, sizeof(keys)); /* ARRIVAL, DATE, SIZE: no blob read */
	} else if (meta->sortkeys.data == NULL ||
		   msg_sortkeys_parse(meta->sortkeys.data, meta->sortkeys.len, &keys) < 0) {
		if (build_missing(set, s, meta, &keys) < 0)
			memset(&keys, 0, sizeof(keys));
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 256;
		set->msgs = xrealloc(set->msgs, set->cap * sizeof(*set->msgs));
	}
	m = &set->msgs[set->n++];
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->uid = meta->uid;
	m->size = meta->size;
	m->arrival = meta->internaldate;
	/* RFC 5256 2.2: no usable Date: header, the INTERNALDATE instead */
	m->date = meta->sent_date != 0 ? meta->sent_date : meta->internaldate;
	m->reply = keys.subject_reply;
	for (int k = 0; k < MSG_SORTKEY_COUNT; k++) {
		if (!(set->keys & (1u << k)) || keys.key[k] == NULL)
			continue;
		m->off[k] = (uint32_t)set->arena.len;
		m->len[k] = (uint32_t)keys.len[k];
		buf_append(&set->arena, keys.key[k], keys.len[k]);
	}
}

void
imap_sort_set_add_cached(struct imap_sort_set *set, const struct imap_sort_msg *msg, uint32_t seq)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 256;
		set->msgs = xrealloc(set->msgs, set->cap * sizeof(*set->msgs));
	}
	set->msgs[set->n] = *msg;
	set->msgs[set->n++].seq = seq;
}

void
imap_sort_set_backfill(struct imap_sort_set *set, struct imap_session *s)
{
	struct store_blob *blobs;
	const char *error;
	size_t off = 0;

	if (set->n_fill == 0)
		return;
	blobs = xmalloc(set->n_fill * sizeof(*blobs));
	for (size_t i = 0; i < set->n_fill; i++) {
		blobs[i].data = set->fill_blobs.data + off;
		blobs[i].len = set->fill_lens[i];
		off += set->fill_lens[i];
	}
	if (store_msg_set_sortkeys(s->view, set->fill_uids, blobs, set->n_fill, &error) < 0)
		log_error("imap: %s: user=%s storing sort keys failed: %s", s->base.id, s->account,
			  error);
	free(blobs);
	set->n_fill = 0;
	buf_reset(&set->fill_blobs);
}

void
imap_sort_set_free(struct imap_sort_set *set)
{
	free(set->msgs);
	buf_free(&set->arena);
	free(set->fill_uids);
	free(set->fill_lens);
	buf_free(&set->fill_blobs);
}
