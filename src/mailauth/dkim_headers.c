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
		fs->f[fs->count++] = (struct dkim_field){f.raw,      f.raw_len, f.name,
							 f.name_len, f.value,   f.value_len};
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

void
dkim_headers_select(struct buf *out, enum dkim_canon c, const struct dkim_fields *fs,
		    char *const *names, size_t n, size_t self)
{
	bool *used = xcalloc(fs->count + 1, sizeof(bool));
	size_t i, j;

	for (i = 0; i < n; i++) {
		/* RFC 6376 5.4.2: several fields of one name are signed from the bottom up; a
		 * name listed more often than it occurs adds nothing (the null string), so a
		 * field added later breaks the signature. */
		for (j = fs->count; j-- > 0;) {
			if (used[j] || j == self || !dkim_field_is(&fs->f[j], names[i]))
				continue;
			used[j] = true;
			dkim_canon_header(out, c, fs->f[j].raw, fs->f[j].raw_len);
			break;
		}
	}
	free(used);
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
