/* Serialized MIME part trees: "MP" 0x01, varint part count, then per part in pre-order:
 * varint flags, nchildren, hdr_off, hdr_size, body_size, body_lines; one byte encoding;
 * then type, subtype and charset each as varint (length + 1, 0 = absent) and bytes.
 * Decoding validates everything, so a damaged blob is an error, never a crash. */
#include "mail/mime_parts.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#define BLOB_MAGIC0 'M'
#define BLOB_MAGIC1 'P'
#define BLOB_VERSION 1

static void
put_varint(struct buf *out, uint64_t v)
{
	while (v >= 0x80) {
		buf_appendc(out, (char)(0x80 | (v & 0x7f)));
		v >>= 7;
	}
	buf_appendc(out, (char)v);
}

static void
put_str(struct buf *out, const struct mime_tree *t, struct mime_str s)
{
	if (!mime_str_present(s)) {
		put_varint(out, 0);
		return;
	}
	put_varint(out, (uint64_t)s.len + 1);
	buf_append(out, t->strings.data + s.off, s.len);
}

void
mime_parts_serialize(struct buf *out, const struct mime_tree *t)
{
	size_t i;

	buf_appendc(out, BLOB_MAGIC0);
	buf_appendc(out, BLOB_MAGIC1);
	buf_appendc(out, BLOB_VERSION);
	put_varint(out, t->nparts);
	for (i = 0; i < t->nparts; i++) {
		const struct mime_part *p = &t->parts[i];

		put_varint(out, p->flags);
		put_varint(out, p->nchildren);
		put_varint(out, p->hdr_off);
		put_varint(out, p->hdr_size);
		put_varint(out, p->body_size);
		put_varint(out, p->body_lines);
		buf_appendc(out, (char)p->enc);
		put_str(out, t, p->type);
		put_str(out, t, p->subtype);
		put_str(out, t, p->charset);
	}
}

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t
get_varint(struct rd *r)
{
	uint64_t v = 0;
	int shift = 0;

	while (r->p < r->end && shift < 64) {
		unsigned char c = *r->p++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			return v;
		shift += 7;
	}
	r->bad = true;
	return 0;
}

static void
get_str(struct rd *r, char *dst, size_t dstsize)
{
	uint64_t n = get_varint(r);

	dst[0] = '\0';
	if (n == 0 || r->bad)
		return;
	n--;
	if (n > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		return;
	}
	if (n < dstsize) {
		memcpy(dst, r->p, n);
		dst[n] = '\0';
	}
	r->p += n;
}

/* Rebuilds parent / child / sibling links from the pre-order child counts. */
static int
link_parts(struct mime_parts *out)
{
	uint32_t stack[MIME_MAX_DEPTH + 2], left[MIME_MAX_DEPTH + 2], last[MIME_MAX_DEPTH + 2];
	size_t depth = 0, i;

	for (i = 0; i < out->count; i++) {
		struct mime_part_info *p = &out->parts[i];

		p->first_child = p->next = MIME_NONE;
		while (depth > 0 && left[depth - 1] == 0)
			depth--;
		if (i > 0 && depth == 0)
			return -1;
		p->parent = depth > 0 ? stack[depth - 1] : MIME_NONE;
		if (depth > 0) {
			struct mime_part_info *par = &out->parts[stack[depth - 1]];

			if (last[depth - 1] == MIME_NONE)
				par->first_child = (uint32_t)i;
			else
				out->parts[last[depth - 1]].next = (uint32_t)i;
			last[depth - 1] = (uint32_t)i;
			left[depth - 1]--;
		}
		if (p->nchildren > 0) {
			if (depth >= MIME_MAX_DEPTH + 2)
				return -1;
			stack[depth] = (uint32_t)i;
			left[depth] = p->nchildren;
			last[depth] = MIME_NONE;
			depth++;
		}
	}
	while (depth > 0 && left[depth - 1] == 0)
		depth--;
	return depth == 0 ? 0 : -1;
}

int
mime_parts_decode(const void *blob, size_t len, struct mime_parts *out)
{
	struct rd r = {blob, (const unsigned char *)blob + len, false};
	uint64_t n, i;

	out->parts = NULL;
	out->count = 0;
	if (len < 4 || r.p[0] != BLOB_MAGIC0 || r.p[1] != BLOB_MAGIC1 || r.p[2] != BLOB_VERSION)
		return -1;
	r.p += 3;
	n = get_varint(&r);
	if (r.bad || n == 0 || n > MIME_MAX_PARTS + 1 || n > len)
		return -1;
	out->parts = xcalloc((size_t)n, sizeof(*out->parts));
	out->count = (size_t)n;
	for (i = 0; i < n && !r.bad; i++) {
		struct mime_part_info *p = &out->parts[i];
		uint64_t flags = get_varint(&r), nch = get_varint(&r);

		p->flags = (unsigned)(flags & 0xff);
		p->nchildren = nch > n ? 0 : (uint32_t)nch;
		r.bad |= nch > n;
		p->hdr_off = get_varint(&r);
		p->hdr_size = get_varint(&r);
		p->body_size = get_varint(&r);
		p->body_lines = get_varint(&r);
		if (r.p >= r.end || *r.p > MIME_ENC_UNKNOWN) {
			r.bad = true;
			break;
		}
		p->enc = (enum mime_encoding) * r.p++;
		get_str(&r, p->type, sizeof(p->type));
		get_str(&r, p->subtype, sizeof(p->subtype));
		get_str(&r, p->charset, sizeof(p->charset));
	}
	if (r.bad || r.p != r.end || link_parts(out) < 0) {
		mime_parts_free(out);
		return -1;
	}
	return 0;
}

void
mime_parts_free(struct mime_parts *p)
{
	free(p->parts);
	p->parts = NULL;
	p->count = 0;
}
