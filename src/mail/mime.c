/* The MIME part tree, built in a single pass over the message: lines are examined only
 * while some multipart boundary is active, and then only those starting with "--" are
 * compared, innermost boundary first, longest prefix winning (as Dovecot does, so that
 * mailers appending junk after a boundary still work). RFC 2046 5.1.1: the line end
 * before a boundary line belongs to the boundary, not to the part. */
#include "mail/mime.h"

#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct parser {
	struct mime_tree *t;
	const char *msg;
	size_t len;
	size_t pos; /* start of the next line to examine */
	size_t lfs; /* LFs in msg[0..pos) */
	uint32_t cur;
	uint32_t bstack[MIME_MAX_DEPTH + 2]; /* multiparts whose boundary is active */
	size_t nb;
	uint32_t last_at_depth[MIME_MAX_DEPTH + 2];
};

const char *
mime_tree_str(const struct mime_tree *t, struct mime_str s)
{
	if (s.off == MIME_NONE)
		return NULL;
	return t->strings.data + s.off;
}

struct mime_str
mime_tree_add_str(struct mime_tree *t, const char *s, size_t len, bool unfold)
{
	struct mime_str r;
	size_t i;

	r.off = (uint32_t)t->strings.len;
	if (unfold) {
		rfc5322_unfold(&t->strings, s, len);
	} else {
		buf_reserve(&t->strings, len);
		for (i = 0; i < len; i++)
			t->strings.data[t->strings.len++] = s[i] == '\0' ? '?' : s[i];
	}
	r.len = (uint32_t)(t->strings.len - r.off);
	buf_appendc(&t->strings, '\0');
	return r;
}

static bool
str_is(const struct mime_tree *t, struct mime_str s, const char *v)
{
	return s.off != MIME_NONE && str_casecmp(t->strings.data + s.off, v) == 0;
}

static uint32_t
part_new(struct parser *ps, uint32_t parent, size_t off)
{
	struct mime_tree *t = ps->t;
	struct mime_part *p;
	uint32_t idx = (uint32_t)t->nparts, depth = 0;
	int i;

	t->parts = xgrow(t->parts, &t->parts_cap, t->nparts + 1, sizeof(*t->parts));
	p = &t->parts[t->nparts++];
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->first_child = p->next = MIME_NONE;
	p->hdr_off = off;
	p->type = p->subtype = p->id = p->description = p->md5 = p->location = p->encoding =
		p->disposition = p->charset = p->boundary = (struct mime_str){MIME_NONE, 0};
	for (i = 0; i < MIME_ENV_COUNT; i++)
		p->env[i] = (struct mime_str){MIME_NONE, 0};
	if (parent != MIME_NONE) {
		struct mime_part *par = &t->parts[parent];
		uint32_t prev;

		depth = par->depth + 1;
		prev = ps->last_at_depth[depth];
		/* pre-order: the last part made at this depth is our previous sibling if it
		 * has the same parent */
		if (prev != MIME_NONE && t->parts[prev].parent == parent)
			t->parts[prev].next = idx;
		else
			par->first_child = idx;
		par->nchildren++;
		if ((par->flags & MIME_PART_MESSAGE) != 0)
			p->flags |= MIME_PART_MSGROOT;
	} else {
		p->flags |= MIME_PART_MSGROOT;
	}
	p->depth = depth;
	ps->last_at_depth[depth] = idx;
	return idx;
}

static size_t
line_content_len(const char *line, const char *next)
{
	size_t n = (size_t)(next - line);

	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return n;
}

/* Index in bstack of the boundary this line is, or -1; *close_r for "--b--". */
static int
boundary_match(const struct parser *ps, const char *line, size_t n, bool *close_r)
{
	const struct mime_tree *t = ps->t;
	size_t i, best_len = 0;
	int best = -1;

	if (n < 2 || line[0] != '-' || line[1] != '-' || t->nparts >= MIME_MAX_PARTS)
		return -1;
	line += 2;
	n -= 2;
	for (i = ps->nb; i-- > 0;) {
		struct mime_str b = t->parts[ps->bstack[i]].boundary;

		if (b.len <= n && (best < 0 || b.len > best_len) &&
		    memcmp(line, t->strings.data + b.off, b.len) == 0) {
			best = (int)i;
			best_len = b.len;
			if (b.len == n)
				break;
		}
	}
	*close_r = best >= 0 && n - best_len >= 2 && line[best_len] == '-' &&
		   line[best_len + 1] == '-';
	return best;
}

static const char *
next_line(const struct parser *ps, size_t pos)
{
	const char *lf = memchr(ps->msg + pos, '\n', ps->len - pos);

	return lf != NULL ? lf + 1 : ps->msg + ps->len;
}

/* Finds the end of the header starting at ps->pos: after its empty line, or before a
 * boundary line of an enclosing multipart, or at the end of the message. */
static void
scan_header(struct parser *ps)
{
	bool close;

	while (ps->pos < ps->len) {
		const char *line = ps->msg + ps->pos, *next = next_line(ps, ps->pos);
		size_t n = line_content_len(line, next);

		if (ps->nb > 0 && n >= 2 && line[0] == '-' &&
		    boundary_match(ps, line, n, &close) >= 0)
			return;
		ps->pos = (size_t)(next - ps->msg);
		if (next[-1] == '\n')
			ps->lfs++;
		if (n == 0)
			return;
	}
}

static bool
message_parsable(const struct mime_part *p)
{
	return p->depth < MIME_MAX_DEPTH && p->enc != MIME_ENC_BASE64 && p->enc != MIME_ENC_QP;
}

static void
classify(struct parser *ps, struct mime_part *p)
{
	const struct mime_tree *t = ps->t;
	bool digest_child = p->parent != MIME_NONE &&
			    str_is(t, t->parts[p->parent].subtype, "digest") &&
			    (t->parts[p->parent].flags & MIME_PART_MULTIPART) != 0;

	if (!mime_str_present(p->type)) {
		/* RFC 2046 5.1.5: in a digest the default is message/rfc822, else text/plain */
		if (!digest_child)
			p->flags |= MIME_PART_TEXT;
		else
			p->flags |= message_parsable(p) ? MIME_PART_MESSAGE : MIME_PART_OPAQUE;
	} else if (str_is(t, p->type, "multipart")) {
		if (p->boundary.len > 0 && p->depth < MIME_MAX_DEPTH)
			p->flags |= MIME_PART_MULTIPART;
		else
			p->flags |= MIME_PART_OPAQUE;
	} else if (str_is(t, p->type, "message") && str_is(t, p->subtype, "rfc822")) {
		p->flags |= message_parsable(p) ? MIME_PART_MESSAGE : MIME_PART_OPAQUE;
	} else if (str_is(t, p->type, "text")) {
		p->flags |= MIME_PART_TEXT;
	}
}

/* Starts a part at ps->pos: its header, then what its type implies. A message/rfc822
 * part starts its child (the encapsulated message) right away. */
static void
part_begin(struct parser *ps, uint32_t parent)
{
	for (;;) {
		uint32_t idx = part_new(ps, parent, ps->pos);
		struct mime_part *p;

		scan_header(ps);
		p = &ps->t->parts[idx];
		p->hdr_size = ps->pos - p->hdr_off;
		mime_header_parse(ps->t, p, ps->msg + p->hdr_off, p->hdr_size);
		classify(ps, p);
		p->body_lines = ps->lfs; /* LFs before the body, until the part is closed */
		ps->cur = idx;
		if ((p->flags & MIME_PART_MULTIPART) != 0)
			ps->bstack[ps->nb++] = idx;
		if ((p->flags & MIME_PART_MESSAGE) == 0)
			return;
		parent = idx;
	}
}

static void
part_close(struct parser *ps, uint32_t idx, size_t end, size_t lfs_end)
{
	struct mime_part *p = &ps->t->parts[idx];
	size_t body_off = mime_part_body_off(p);

	if (end <= body_off) {
		p->body_size = 0;
		p->body_lines = 0;
		return;
	}
	p->body_size = end - body_off;
	p->body_lines = lfs_end > p->body_lines ? lfs_end - p->body_lines : 0;
}

/* A boundary line of the multipart at bstack[k] starts at line. */
static void
on_boundary(struct parser *ps, size_t k, const char *line, const char *next, bool close)
{
	uint32_t m = ps->bstack[k], idx;
	size_t end = (size_t)(line - ps->msg), lfs_end = ps->lfs;

	/* RFC 2046 5.1.1: the CRLF before the boundary is part of the boundary */
	if (end > 0 && ps->msg[end - 1] == '\n') {
		end--;
		lfs_end--;
		if (end > 0 && ps->msg[end - 1] == '\r')
			end--;
	}
	for (idx = ps->cur; idx != m && idx != MIME_NONE; idx = ps->t->parts[idx].parent)
		part_close(ps, idx, end, lfs_end);
	ps->nb = close ? k : k + 1;
	ps->cur = m;
	ps->pos = (size_t)(next - ps->msg);
	if (next[-1] == '\n')
		ps->lfs++;
	if (!close)
		part_begin(ps, m);
}

static size_t
count_lf(const char *p, size_t n)
{
	const char *end = p + n;
	size_t c = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

static void
scan_body(struct parser *ps)
{
	bool close;
	int k;

	while (ps->pos < ps->len) {
		const char *line = ps->msg + ps->pos, *next;
		size_t n;

		if (ps->nb == 0) {
			ps->lfs += count_lf(line, ps->len - ps->pos);
			ps->pos = ps->len;
			return;
		}
		next = next_line(ps, ps->pos);
		if (line[0] == '-') {
			n = line_content_len(line, next);
			k = boundary_match(ps, line, n, &close);
			if (k >= 0) {
				on_boundary(ps, (size_t)k, line, next, close);
				continue;
			}
		}
		ps->pos = (size_t)(next - ps->msg);
		if (next[-1] == '\n')
			ps->lfs++;
	}
}

void
mime_tree_parse(struct mime_tree *t, const char *msg, size_t len)
{
	struct parser ps;
	uint32_t idx;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->msg = msg;
	t->len = len;
	buf_reserve(&t->strings, 256);
	memset(&ps, 0, sizeof(ps));
	ps.t = t;
	ps.msg = msg;
	ps.len = len;
	for (i = 0; i < sizeof(ps.last_at_depth) / sizeof(ps.last_at_depth[0]); i++)
		ps.last_at_depth[i] = MIME_NONE;
	part_begin(&ps, MIME_NONE);
	scan_body(&ps);
	for (idx = ps.cur; idx != MIME_NONE; idx = t->parts[idx].parent)
		part_close(&ps, idx, len, ps.lfs);
}

void
mime_tree_free(struct mime_tree *t)
{
	free(t->parts);
	free(t->params);
	buf_free(&t->strings);
	memset(t, 0, sizeof(*t));
}
