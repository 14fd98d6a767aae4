/* DKIM header selection and the signature field with b= emptied, RFC 6376 3.7, 5.4.2. */
#include "mailauth/dkim_headers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_canon.h"
#include "mailauth/tag_list.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
dkim_fields_parse(struct dkim_fields *fs, const char *hdr, size_t len)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	size_t cap = 0;

	fs->f = NULL;
	fs->count = 0;
	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon)
			continue;
		fs->f = xgrow(fs->f, &cap, fs->count + 1, sizeof(*fs->f));
		fs->f[fs->count++] = (struct dkim_field){
			.raw = f.raw,
			.raw_len = f.raw_len,
			.name = f.name,
			.name_len = f.name_len,
			.value = f.value,
			.value_len = f.value_len,
			.hash = dkim_name_hash(f.name, f.name_len),
		};
	}
}

void
dkim_fields_free(struct dkim_fields *fs)
{
	free(fs->f);
	fs->f = NULL;
	fs->count = 0;
}

bool
dkim_field_is(const struct dkim_field *f, const char *name)
{
	return strlen(name) == f->name_len && str_ncasecmp(f->name, name, f->name_len) == 0;
}

uint32_t
dkim_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		h = (h ^ (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c)) * 16777619u;
	}
	return h;
}

/* One distinct name of h=: how often h= lists it, and the fields of that name from the
 * bottom up (at most want of them), in a small open-addressing table. */
struct pick {
	const char *name;
	uint32_t hash;
	size_t want, got, used;
	size_t *idx;
};

struct picks {
	struct pick *slot;
	size_t mask;
};

static struct pick *
pick_find(const struct picks *ps, const char *name, size_t len, uint32_t hash)
{
	size_t i = hash & ps->mask;

	for (; ps->slot[i].name != NULL; i = (i + 1) & ps->mask) {
		const struct pick *p = &ps->slot[i];

		if (p->hash == hash && strlen(p->name) == len &&
		    str_ncasecmp(p->name, name, len) == 0)
			return &ps->slot[i];
	}
	return &ps->slot[i]; /* the empty slot where it would go */
}

static void
picks_build(struct picks *ps, const struct dkim_fields *fs, char *const *names, size_t n,
	    size_t self)
{
	size_t size = 8, i, j;

	while (size < 2 * n + 2)
		size *= 2;
	ps->slot = xcalloc(size, sizeof(*ps->slot));
	ps->mask = size - 1;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		uint32_t h = dkim_name_hash(names[i], len);
		struct pick *p = pick_find(ps, names[i], len, h);

		if (p->name == NULL) {
			p->name = names[i];
			p->hash = h;
		}
		p->want++;
	}
	for (i = 0; i < size; i++)
		if (ps->slot[i].name != NULL)
			ps->slot[i].idx = xcalloc(ps->slot[i].want, sizeof(size_t));
	/* RFC 6376 5.4.2: several fields of one name are signed from the bottom up */
	for (j = fs->count; j-- > 0;) {
		struct pick *p;

		if (j == self)
			continue;
		p = pick_find(ps, fs->f[j].name, fs->f[j].name_len, fs->f[j].hash);
		if (p->name != NULL && p->got < p->want)
			p->idx[p->got++] = j;
	}
}

static void
picks_free(struct picks *ps)
{
	size_t i;

	for (i = 0; i <= ps->mask; i++)
		free(ps->slot[i].idx);
	free(ps->slot);
}

void
dkim_headers_select(struct buf *out, enum dkim_canon c, const struct dkim_fields *fs,
		    char *const *names, size_t n, size_t self)
{
	struct picks ps;
	size_t i;

	picks_build(&ps, fs, names, n, self);
	for (i = 0; i < n; i++) {
		struct pick *p = pick_find(&ps, names[i], strlen(names[i]),
					   dkim_name_hash(names[i], strlen(names[i])));

		/* a name listed more often than it occurs adds nothing (the null string), so
		 * a field added later breaks the signature */
		if (p->used < p->got) {
			const struct dkim_field *f = &fs->f[p->idx[p->used++]];

			dkim_canon_header(out, c, f->raw, f->raw_len);
		}
	}
	picks_free(&ps);
}

int
dkim_headers_sig_field(struct buf *out, enum dkim_canon c, const char *raw, size_t len)
{
	const char *colon = memchr(raw, ':', len), *vend = raw + len;
	const struct tag *b;
	struct tag_list tl;
	const char *error;
	struct buf tmp = BUF_INIT;
	size_t start;

	if (colon == NULL)
		return -1;
	/* the value without the field's final line end */
	if (vend > colon + 1 && vend[-1] == '\n')
		vend--;
	if (vend > colon + 1 && vend[-1] == '\r')
		vend--;
	if (tag_list_parse(&tl, colon + 1, (size_t)(vend - colon - 1), &error) < 0 ||
	    (b = tag_list_get(&tl, "b")) == NULL)
		return -1;
	buf_append(&tmp, raw, (size_t)(b->raw - raw));
	buf_append(&tmp, b->raw + b->raw_len, (size_t)(vend - (b->raw + b->raw_len)));
	buf_append(&tmp, "\r\n", 2);
	start = out->len;
	dkim_canon_header(out, c, tmp.data, tmp.len);
	/* RFC 6376 3.7: the signature field is hashed without its trailing CRLF */
	if (out->len >= start + 2)
		buf_truncate(out, out->len - 2);
	buf_free(&tmp);
	return 0;
}
