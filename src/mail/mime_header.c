/* Content-* header fields of one MIME part (RFC 2045 5, 6, 7, 8; RFC 2183; RFC 3282;
 * RFC 2557 4.2) with parameters and their RFC 2231 continuations, and the envelope
 * fields of a message header (RFC 3501 7.4.2). Lenient: a bad field is ignored. */
#include "mail/mime.h"

#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define PARAMS_MAX 256 /* per field; the rest is ignored */

struct lex {
	const char *p, *end;
};

/* RFC 2045 5.1 tspecials */
static bool
is_tspecial(unsigned char c)
{
	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool
is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

static size_t
lex_token(struct lex *l, const char **tok_r)
{
	l->p = rfc5322_skip_cfws(l->p, l->end);
	*tok_r = l->p;
	while (l->p < l->end && is_token_char((unsigned char)*l->p))
		l->p++;
	return (size_t)(l->p - *tok_r);
}

static bool
lex_accept(struct lex *l, char c)
{
	l->p = rfc5322_skip_cfws(l->p, l->end);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

static struct mime_str
str_none(void)
{
	struct mime_str s = {MIME_NONE, 0};

	return s;
}

/* A parameter value: quoted-string (unescaped, unfolded) or a run up to ';' / WSP. */
static struct mime_str
lex_value(struct mime_tree *t, struct lex *l)
{
	struct mime_str s;
	const char *start;

	l->p = rfc5322_skip_cfws(l->p, l->end);
	if (l->p < l->end && *l->p == '"') {
		s.off = (uint32_t)t->strings.len;
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			if (*l->p != '\r' && *l->p != '\n')
				buf_appendc(&t->strings, *l->p == '\0' ? '?' : *l->p);
		}
		if (l->p < l->end)
			l->p++;
		s.len = (uint32_t)(t->strings.len - s.off);
		buf_appendc(&t->strings, '\0');
		return s;
	}
	start = l->p;
	while (l->p < l->end && *l->p != ';' && *l->p != ' ' && *l->p != '\t' && *l->p != '\r' &&
	       *l->p != '\n')
		l->p++;
	return mime_tree_add_str(t, start, (size_t)(l->p - start), false);
}

static void
add_param(struct mime_tree *t, struct mime_str name, struct mime_str value)
{
	t->params = xgrow(t->params, &t->params_cap, t->nparams + 1, sizeof(*t->params));
	t->params[t->nparams].name = name;
	t->params[t->nparams].value = value;
	t->nparams++;
}

/* RFC 2231 3: "name*N" or "name*N*". Returns the section number or -1; *base_len_r
 * and *ext_r describe the name. */
static int
continuation_of(const char *name, size_t len, size_t *base_len_r, bool *ext_r)
{
	size_t i = len;
	int n = 0, mul = 1;

	*ext_r = len > 0 && name[len - 1] == '*';
	if (*ext_r)
		i--;
	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9' && mul <= 1000) {
		n += (name[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (mul == 1 || mul > 1000 || i < 2 || name[i - 1] != '*')
		return -1;
	*base_len_r = i - 1;
	return n;
}

struct cont {
	uint32_t idx;
	int section;
	size_t base_len;
	bool ext;
};

static int
cont_cmp(const void *a, const void *b)
{
	const struct cont *x = a, *y = b;

	return x->section - y->section;
}

/* Merges one base name's continuation sections (sorted) into a new parameter. */
static void
merge_one(struct mime_tree *t, struct cont *c, size_t n, struct mime_param *old)
{
	struct mime_str name, value;
	const char *base;
	size_t i, need = c[0].base_len + 3;

	/* reserve first: the sources live in the buffer being appended to */
	for (i = 0; i < n; i++)
		need += old[c[i].idx].value.len;
	buf_reserve(&t->strings, need);
	base = t->strings.data + old[c[0].idx].name.off;
	name.off = (uint32_t)t->strings.len;
	buf_append(&t->strings, base, c[0].base_len);
	if (c[0].section == 0 && c[0].ext)
		buf_appendc(&t->strings, '*');
	name.len = (uint32_t)(t->strings.len - name.off);
	buf_appendc(&t->strings, '\0');
	value.off = (uint32_t)t->strings.len;
	for (i = 0; i < n; i++) {
		struct mime_str v = old[c[i].idx].value;

		buf_append(&t->strings, t->strings.data + v.off, v.len);
	}
	value.len = (uint32_t)(t->strings.len - value.off);
	buf_appendc(&t->strings, '\0');
	add_param(t, name, value);
}

static bool
same_base(const struct mime_tree *t, const struct mime_param *old, const struct cont *a,
	  const struct cont *b)
{
	return a->base_len == b->base_len &&
	       str_ncasecmp(t->strings.data + old[a->idx].name.off,
			    t->strings.data + old[b->idx].name.off, a->base_len) == 0;
}

/* Rewrites params [first, nparams): plain parameters first, then the merged ones. */
static void
merge_continuations(struct mime_tree *t, uint32_t first)
{
	size_t n = t->nparams - first, i, j, nc = 0;
	struct mime_param *old;
	struct cont *c;
	bool *used;

	if (n == 0)
		return;
	old = xmalloc(n * sizeof(*old));
	c = xmalloc(n * sizeof(*c));
	memcpy(old, t->params + first, n * sizeof(*old));
	t->nparams = first;
	for (i = 0; i < n; i++) {
		const char *name = t->strings.data + old[i].name.off;

		c[nc].idx = (uint32_t)i;
		c[nc].section = continuation_of(name, old[i].name.len, &c[nc].base_len, &c[nc].ext);
		if (c[nc].section < 0)
			add_param(t, old[i].name, old[i].value);
		else
			nc++;
	}
	used = xcalloc(nc > 0 ? nc : 1, sizeof(*used));
	for (i = 0; i < nc; i++) {
		struct cont *grp;
		size_t ng = 0;

		if (used[i])
			continue;
		grp = xmalloc((nc - i) * sizeof(*grp));
		for (j = i; j < nc; j++) {
			if (!used[j] && same_base(t, old, &c[i], &c[j])) {
				used[j] = true;
				grp[ng++] = c[j];
			}
		}
		qsort(grp, ng, sizeof(*grp), cont_cmp);
		merge_one(t, grp, ng, old);
		free(grp);
	}
	free(used);
	free(c);
	free(old);
}

/* ";" attribute "=" value, repeated (RFC 2045 5.1); *first_r / *n_r get the range. */
static void
parse_params(struct mime_tree *t, struct lex *l, uint32_t *first_r, uint32_t *n_r)
{
	uint32_t first = (uint32_t)t->nparams;
	const char *name;
	size_t nlen;

	while (l->p < l->end && t->nparams - first < PARAMS_MAX) {
		if (!lex_accept(l, ';')) {
			/* junk: skip to the next ';' */
			while (l->p < l->end && *l->p != ';')
				l->p++;
			continue;
		}
		nlen = lex_token(l, &name);
		if (nlen == 0 || !lex_accept(l, '='))
			continue;
		add_param(t, mime_tree_add_str(t, name, nlen, false), lex_value(t, l));
	}
	merge_continuations(t, first);
	*first_r = first;
	*n_r = (uint32_t)(t->nparams - first);
}

static struct mime_str
find_param(const struct mime_tree *t, uint32_t first, uint32_t n, const char *name)
{
	uint32_t i;

	for (i = first; i < first + n; i++) {
		if (t->params[i].name.off != MIME_NONE &&
		    str_casecmp(t->strings.data + t->params[i].name.off, name) == 0)
			return t->params[i].value;
	}
	return str_none();
}

/* RFC 2045 5.1: type "/" subtype *(";" parameter) */
static void
parse_content_type(struct mime_tree *t, struct mime_part *part, const char *v, size_t len)
{
	struct lex l = {v, v + len};
	const char *type, *sub;
	size_t tlen, slen;

	tlen = lex_token(&l, &type);
	if (tlen == 0 || !lex_accept(&l, '/'))
		return;
	slen = lex_token(&l, &sub);
	if (slen == 0)
		return;
	part->type = mime_tree_add_str(t, type, tlen, false);
	part->subtype = mime_tree_add_str(t, sub, slen, false);
	parse_params(t, &l, &part->params, &part->nparams);
	part->charset = find_param(t, part->params, part->nparams, "charset");
	part->boundary = find_param(t, part->params, part->nparams, "boundary");
}

static void
parse_encoding(struct mime_tree *t, struct mime_part *part, const char *v, size_t len)
{
	static const struct {
		const char *name;
		enum mime_encoding enc;
	} encs[] = {{"7bit", MIME_ENC_7BIT},
		    {"8bit", MIME_ENC_8BIT},
		    {"binary", MIME_ENC_BINARY},
		    {"base64", MIME_ENC_BASE64},
		    {"quoted-printable", MIME_ENC_QP}};
	struct lex l = {v, v + len};
	const char *tok;
	size_t tlen = lex_token(&l, &tok), i;

	l.p = rfc5322_skip_cfws(l.p, l.end);
	if (tlen == 0 || l.p != l.end)
		return;
	part->encoding = mime_tree_add_str(t, tok, tlen, false);
	part->enc = MIME_ENC_UNKNOWN;
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		if (strlen(encs[i].name) == tlen && str_ncasecmp(tok, encs[i].name, tlen) == 0)
			part->enc = encs[i].enc;
}

/* RFC 2183 2: disposition-type *(";" disposition-parm) */
static void
parse_disposition(struct mime_tree *t, struct mime_part *part, const char *v, size_t len)
{
	struct lex l = {v, v + len};
	const char *tok;
	size_t tlen = lex_token(&l, &tok);

	if (tlen == 0)
		return;
	part->disposition = mime_tree_add_str(t, tok, tlen, false);
	parse_params(t, &l, &part->dparams, &part->ndparams);
}

/* RFC 3282 2: 1#Language-tag */
static void
parse_language(struct mime_tree *t, struct mime_part *part, const char *v, size_t len)
{
	struct lex l = {v, v + len};
	const char *tok;
	size_t tlen;

	part->langs = (uint32_t)t->nparams;
	while (l.p < l.end && t->nparams - part->langs < PARAMS_MAX) {
		tlen = lex_token(&l, &tok);
		if (tlen > 0)
			add_param(t, str_none(), mime_tree_add_str(t, tok, tlen, false));
		if (!lex_accept(&l, ',') && tlen == 0)
			break;
	}
	part->nlangs = (uint32_t)(t->nparams - part->langs);
}

static bool
name_eq(const struct rfc5322_field *f, size_t skip, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == skip + n && str_ncasecmp(f->name + skip, name, n) == 0;
}

static void
parse_content_field(struct mime_tree *t, struct mime_part *p, const struct rfc5322_field *f)
{
	struct mime_str *dst = NULL;

	if (name_eq(f, 8, "Type") && !mime_str_present(p->type))
		parse_content_type(t, p, f->value, f->value_len);
	else if (name_eq(f, 8, "Transfer-Encoding") && !mime_str_present(p->encoding))
		parse_encoding(t, p, f->value, f->value_len);
	else if (name_eq(f, 8, "Disposition") && !mime_str_present(p->disposition))
		parse_disposition(t, p, f->value, f->value_len);
	else if (name_eq(f, 8, "Language") && p->nlangs == 0)
		parse_language(t, p, f->value, f->value_len);
	else if (name_eq(f, 8, "ID"))
		dst = &p->id;
	else if (name_eq(f, 8, "Description"))
		dst = &p->description;
	else if (name_eq(f, 8, "MD5"))
		dst = &p->md5;
	else if (name_eq(f, 8, "Location"))
		dst = &p->location;
	if (dst != NULL && !mime_str_present(*dst))
		*dst = mime_tree_add_str(t, f->value, f->value_len, true);
}

static void
parse_env_field(struct mime_tree *t, struct mime_part *p, const struct rfc5322_field *f)
{
	static const char *const names[MIME_ENV_COUNT] = {
		"Date", "Subject", "From", "Sender",      "Reply-To",
		"To",   "Cc",      "Bcc",  "In-Reply-To", "Message-ID"};
	int i;

	for (i = 0; i < MIME_ENV_COUNT; i++) {
		if (name_eq(f, 0, names[i])) {
			if (!mime_str_present(p->env[i]))
				p->env[i] = mime_tree_add_str(t, f->value, f->value_len, true);
			return;
		}
	}
}

void
mime_header_parse(struct mime_tree *t, struct mime_part *part, const char *hdr, size_t len)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len == 0)
			continue;
		if (f.name_len > 8 && str_ncasecmp(f.name, "Content-", 8) == 0)
			parse_content_field(t, part, &f);
		else if ((part->flags & MIME_PART_MSGROOT) != 0)
			parse_env_field(t, part, &f);
	}
}
