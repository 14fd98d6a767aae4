/* Journal record encoding and parsing (see store_record.h). Layout, all little-endian:
 * u32 magic, u32 type, u64 payload length, u8[16] id, u64 XXH64 of bytes 0..31 and the
 * payload; payload: i64 internaldate, [i32 its zone when the type has STORE_RECORD_FLAG_TZ], u32
 * n_targets, per target (u16 account, u16 mailbox, u32 flags, u16 n_keywords + u16-prefixed names,
 * u32 prefix), u64 msg length, msg. */
#include "store/store_record.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_checksum.h"
#include "util/buf.h"
#include "util/xmalloc.h"

static void
put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	buf_append(b, x, 2);
}

static void
put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	buf_append(b, x, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	buf_append(b, x, 8);
}

static void
set_u64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
}

static void
put_str16(struct buf *b, const char *s)
{
	size_t len = s == NULL ? 0 : strlen(s);

	put_u16(b, (uint16_t)len);
	buf_append(b, s, len);
}

void
store_record_encode(const struct store_rec *rec, struct buf *head)
{
	struct store_checksum c;
	size_t start = head->len;

	put_u32(head, STORE_RECORD_MAGIC);
	put_u32(head,
		(uint32_t)rec->type | (rec->type != STORE_RECORD_CANCEL && rec->internaldate_tz != 0
					       ? STORE_RECORD_FLAG_TZ
					       : 0));
	put_u64(head, 0); /* payload length, set below */
	buf_append(head, rec->id, STORE_RECORD_ID_LEN);
	put_u64(head, 0); /* checksum, set below */
	if (rec->type != STORE_RECORD_CANCEL) {
		put_u64(head, (uint64_t)rec->internaldate);
		if (rec->internaldate_tz != 0)
			put_u32(head, (uint32_t)rec->internaldate_tz);
		put_u32(head, (uint32_t)rec->n_targets);
		for (size_t i = 0; i < rec->n_targets; i++) {
			const struct store_rec_target *t = &rec->targets[i];

			put_str16(head, t->account);
			put_str16(head, t->mailbox);
			put_u32(head, t->flags);
			put_u16(head, (uint16_t)t->n_keywords);
			for (size_t k = 0; k < t->n_keywords; k++)
				put_str16(head, t->keywords[k]);
			put_u32(head, (uint32_t)t->prefix_len);
			buf_append(head, t->prefix, t->prefix_len);
		}
		put_u64(head, rec->msg_len);
	}
	set_u64(head->data + start + 8,
		head->len - start - STORE_RECORD_HEADER +
			(rec->type != STORE_RECORD_CANCEL ? rec->msg_len : 0));
	store_checksum_init(&c, 0);
	store_checksum_update(&c, head->data + start, 32);
	store_checksum_update(&c, head->data + start + STORE_RECORD_HEADER,
			      head->len - start - STORE_RECORD_HEADER);
	if (rec->type != STORE_RECORD_CANCEL)
		store_checksum_update(&c, rec->msg, rec->msg_len);
	set_u64(head->data + start + 32, store_checksum_final(&c));
}

struct reader {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t
get_n(struct reader *r, int n)
{
	uint64_t v = 0;

	if (r->bad || r->end - r->p < n) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static const char *
get_bytes(struct reader *r, uint64_t len)
{
	const char *s = (const char *)r->p;

	if (r->bad || (uint64_t)(r->end - r->p) < len) {
		r->bad = true;
		return NULL;
	}
	r->p += len;
	return s;
}

/* A u16-prefixed string; empty gives NULL when allow_null. NULs inside are invalid. */
static char *
get_str16(struct reader *r, bool allow_null)
{
	size_t len = (size_t)get_n(r, 2);
	const char *s = get_bytes(r, len);

	if (s == NULL || memchr(s, '\0', len) != NULL || (len == 0 && !allow_null)) {
		r->bad = true;
		return NULL;
	}
	return len == 0 ? NULL : xstrndup(s, len);
}

static void
parse_target(struct reader *r, struct store_rec_target *t)
{
	t->account = get_str16(r, false);
	t->mailbox = get_str16(r, true);
	t->flags = (uint32_t)get_n(r, 4);
	t->n_keywords = (size_t)get_n(r, 2);
	if (r->bad || t->n_keywords > (size_t)(r->end - r->p) / 2) {
		r->bad = true;
		t->n_keywords = 0;
		return;
	}
	t->keywords = xcalloc(t->n_keywords + 1, sizeof(char *));
	for (size_t k = 0; k < t->n_keywords && !r->bad; k++)
		t->keywords[k] = get_str16(r, false);
	t->prefix_len = (size_t)get_n(r, 4);
	t->prefix = get_bytes(r, t->prefix_len);
}

static int
parse_payload(struct reader *r, struct store_rec *rec, bool has_tz)
{
	uint64_t n;

	rec->internaldate = (int64_t)get_n(r, 8);
	if (has_tz) {
		rec->internaldate_tz = (int32_t)(uint32_t)get_n(r, 4);
		/* RFC 3501 9 zone: -2359..+2359 */
		if (rec->internaldate_tz <= -86400 || rec->internaldate_tz >= 86400)
			return -1;
	}
	n = get_n(r, 4);
	/* each target takes at least 14 bytes: a bound before allocating */
	if (r->bad || n == 0 || n > (uint64_t)(r->end - r->p) / 14)
		return -1;
	rec->targets = xcalloc((size_t)n, sizeof(*rec->targets));
	rec->n_targets = (size_t)n;
	for (size_t i = 0; i < rec->n_targets && !r->bad; i++)
		parse_target(r, &rec->targets[i]);
	rec->msg_len = (size_t)get_n(r, 8);
	rec->msg = get_bytes(r, rec->msg_len);
	if (r->bad || r->p != r->end)
		return -1;
	return 0;
}

int
store_record_parse(const void *data, size_t avail, struct store_rec *rec, size_t *len_r)
{
	const uint8_t *p = data;
	struct reader r = {p, p + avail, false};
	struct store_checksum c;
	uint64_t plen, sum;
	uint32_t type;
	bool has_tz;

	memset(rec, 0, sizeof(*rec));
	if (avail < STORE_RECORD_HEADER)
		return avail == 0 || get_n(&r, 4) == STORE_RECORD_MAGIC || avail < 4 ? 0 : -1;
	if (get_n(&r, 4) != STORE_RECORD_MAGIC)
		return -1;
	type = (uint32_t)get_n(&r, 4);
	plen = get_n(&r, 8);
	has_tz = (type & STORE_RECORD_FLAG_TZ) != 0;
	type &= ~STORE_RECORD_FLAG_TZ;
	if (type < STORE_RECORD_DELIVER || type > STORE_RECORD_CANCEL ||
	    (has_tz && type == STORE_RECORD_CANCEL))
		return -1;
	if (plen > avail - STORE_RECORD_HEADER)
		return 0;
	memcpy(rec->id, p + 16, STORE_RECORD_ID_LEN);
	r.p = p + 32;
	sum = get_n(&r, 8);
	store_checksum_init(&c, 0);
	store_checksum_update(&c, p, 32);
	store_checksum_update(&c, p + STORE_RECORD_HEADER, (size_t)plen);
	if (store_checksum_final(&c) != sum)
		return -1;
	rec->type = (enum store_record_type)type;
	r.end = p + STORE_RECORD_HEADER + plen;
	if (type == STORE_RECORD_CANCEL ? plen != 0 : parse_payload(&r, rec, has_tz) < 0) {
		store_record_free(rec);
		return -1;
	}
	*len_r = STORE_RECORD_HEADER + (size_t)plen;
	return 1;
}

void
store_record_free(struct store_rec *rec)
{
	for (size_t i = 0; i < rec->n_targets; i++) {
		struct store_rec_target *t = &rec->targets[i];

		free(t->account);
		free(t->mailbox);
		for (size_t k = 0; k < t->n_keywords; k++)
			free(t->keywords[k]);
		free(t->keywords);
	}
	free(rec->targets);
	rec->targets = NULL;
	rec->n_targets = 0;
}
