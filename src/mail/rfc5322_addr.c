/* RFC 5322 3.4 address lists, parsed leniently for IMAP ENVELOPE: mailboxes with or
 * without display names, angle addresses with obs-route (4.4), groups, comments used as
 * names of bare addr-specs. Never fails: junk is skipped up to the next comma. */
#include "mail/rfc5322.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#define ADDR_MAX 10000

enum tok_type { TOK_END, TOK_ATOM, TOK_QSTRING, TOK_DLIT, TOK_COMMENT, TOK_SPECIAL };

struct tok {
	enum tok_type type;
	const char *raw; /* whole token including its delimiters */
	size_t raw_len;
	bool ws_before; /* whitespace or a comment came before it */
	char c;         /* for TOK_SPECIAL */
};

struct addr_parser {
	const char *p, *end;
	struct tok peeked;
	bool have_peek;
	struct tok *seg; /* tokens of the current address */
	size_t nseg, segcap;
	struct rfc5322_addr_list *out;
};

static bool
is_special(unsigned char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL && c != '\0';
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips a quoted string or comment body honouring quoted-pairs; p is past the opener. */
static const char *
skip_delimited(const char *p, const char *end, char open, char close)
{
	int depth = 1;

	while (p < end) {
		if (*p == '\\' && p + 1 < end) {
			p += 2;
			continue;
		}
		if (*p == close && --depth == 0)
			return p + 1;
		if (open != close && *p == open)
			depth++;
		p++;
	}
	return end;
}

static struct tok
scan(struct addr_parser *ap)
{
	struct tok t = {TOK_END, NULL, 0, false, 0};
	const char *p = ap->p, *end = ap->end, *s;

	for (;;) {
		while (p < end && is_wsp((unsigned char)*p)) {
			p++;
			t.ws_before = true;
		}
		if (p >= end || *p != '(')
			break;
		/* comments are returned too: a bare addr-spec's comment is its name */
		s = skip_delimited(p + 1, end, '(', ')');
		t.type = TOK_COMMENT;
		t.raw = p;
		t.raw_len = (size_t)(s - p);
		ap->p = s;
		return t;
	}
	t.raw = p;
	if (p >= end) {
		ap->p = p;
		return t;
	}
	if (*p == '"') {
		s = skip_delimited(p + 1, end, '"', '"');
		t.type = TOK_QSTRING;
	} else if (*p == '[') {
		s = skip_delimited(p + 1, end, '[', ']');
		t.type = TOK_DLIT;
	} else if (is_special((unsigned char)*p)) {
		s = p + 1;
		t.type = TOK_SPECIAL;
		t.c = *p;
	} else {
		s = p;
		while (s < end && !is_wsp((unsigned char)*s) && !is_special((unsigned char)*s))
			s++;
		t.type = TOK_ATOM;
	}
	t.raw_len = (size_t)(s - p);
	ap->p = s;
	return t;
}

static struct tok
peek(struct addr_parser *ap)
{
	if (!ap->have_peek) {
		ap->peeked = scan(ap);
		ap->have_peek = true;
	}
	return ap->peeked;
}

static struct tok
next(struct addr_parser *ap)
{
	struct tok t = peek(ap);

	ap->have_peek = false;
	return t;
}

static bool
is_sp(struct tok t, char c)
{
	return t.type == TOK_SPECIAL && t.c == c;
}

/* ---- string building: offsets into out->text, fixed up into pointers at the end ---- */

#define NO_STR ((const char *)0)

static const char *
str_begin(struct addr_parser *ap)
{
	return (const char *)(uintptr_t)(ap->out->text.len + 1);
}

static const char *
str_end(struct addr_parser *ap, const char *begin)
{
	buf_appendc(&ap->out->text, '\0');
	return begin;
}

/* Appends the content of a quoted string or comment token without delimiters and
 * with quoted-pairs undone. */
static void
append_unquoted(struct buf *b, const struct tok *t)
{
	const char *p = t->raw + 1, *end = t->raw + t->raw_len;

	if (end > p && (end[-1] == '"' || end[-1] == ')'))
		end--;
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		if (*p == '\r' || *p == '\n')
			continue;
		buf_appendc(b, *p);
	}
}

/* Display name from phrase tokens [from, to): words joined by single spaces. */
static const char *
phrase_str(struct addr_parser *ap, size_t from, size_t to)
{
	const char *s = str_begin(ap);
	size_t start = ap->out->text.len, i;
	bool any = false;

	for (i = from; i < to; i++) {
		const struct tok *t = &ap->seg[i];

		if (t->type == TOK_COMMENT)
			continue;
		if (any && t->ws_before)
			buf_appendc(&ap->out->text, ' ');
		if (t->type == TOK_QSTRING)
			append_unquoted(&ap->out->text, t);
		else
			buf_append(&ap->out->text, t->raw, t->raw_len);
		any = true;
	}
	if (ap->out->text.len == start)
		return NO_STR;
	return str_end(ap, s);
}

/* Concatenation of the raw tokens [from, to), comments and whitespace dropped. */
static const char *
concat_str(struct addr_parser *ap, size_t from, size_t to)
{
	const char *s = str_begin(ap);
	size_t i;

	for (i = from; i < to; i++) {
		const struct tok *t = &ap->seg[i];

		if (t->type != TOK_COMMENT)
			buf_append(&ap->out->text, t->raw, t->raw_len);
	}
	return str_end(ap, s);
}

static void
emit(struct addr_parser *ap, const struct rfc5322_addr *a)
{
	struct rfc5322_addr_list *l = ap->out;

	if (l->count >= ADDR_MAX)
		return;
	l->addrs = xgrow(l->addrs, &l->cap, l->count + 1, sizeof(*l->addrs));
	l->addrs[l->count++] = *a;
}

static void
seg_push(struct addr_parser *ap, struct tok t)
{
	ap->seg = xgrow(ap->seg, &ap->segcap, ap->nseg + 1, sizeof(*ap->seg));
	ap->seg[ap->nseg++] = t;
}

/* addr-spec from segment tokens [from, to); name as given. */
static void
emit_addr_spec(struct addr_parser *ap, size_t from, size_t to, const char *name, const char *route)
{
	struct rfc5322_addr a = {name, route, NO_STR, NO_STR, false, false};
	size_t at = to, i;
	bool any = false;

	for (i = from; i < to; i++) {
		if (ap->seg[i].type != TOK_COMMENT)
			any = true;
		if (at == to && is_sp(ap->seg[i], '@'))
			at = i;
	}
	if (!any)
		return;
	a.mailbox = concat_str(ap, from, at);
	a.domain = at < to ? concat_str(ap, at + 1, to) : str_end(ap, str_begin(ap));
	emit(ap, &a);
}

static void parse_list(struct addr_parser *ap, bool in_group);

/* Skips junk up to the end of this address (',' or ';' in a group, or the end). */
static void
skip_rest(struct addr_parser *ap, bool in_group)
{
	struct tok t;

	for (t = peek(ap); t.type != TOK_END && !is_sp(t, ','); t = peek(ap)) {
		if (in_group && is_sp(t, ';'))
			return;
		next(ap);
	}
}

/* After '<': [obs-route ":"] addr-spec ">" (RFC 5322 3.4, 4.4). */
static void
parse_angle(struct addr_parser *ap, const char *name)
{
	const char *route = NO_STR;
	size_t from = ap->nseg, i;
	struct tok t;

	/* a missing '>' ends at the next comma, unless that comma is part of a route */
	for (t = peek(ap); t.type != TOK_END && !is_sp(t, '>'); t = peek(ap)) {
		if (is_sp(t, ',') && (ap->nseg == from || !is_sp(ap->seg[from], '@')))
			break;
		seg_push(ap, next(ap));
	}
	if (is_sp(t, '>'))
		next(ap);
	/* obs-route: "@a,@b:" before the addr-spec */
	if (ap->nseg > from && is_sp(ap->seg[from], '@')) {
		for (i = from; i < ap->nseg && !is_sp(ap->seg[i], ':'); i++)
			;
		if (i < ap->nseg) {
			route = concat_str(ap, from, i);
			from = i + 1;
		}
	}
	emit_addr_spec(ap, from, ap->nseg, name, route);
}

static void
parse_group(struct addr_parser *ap, const char *name)
{
	struct rfc5322_addr start = {NO_STR, NO_STR, name, NO_STR, true, false};
	struct rfc5322_addr end = {NO_STR, NO_STR, NO_STR, NO_STR, false, true};

	if (name == NO_STR)
		start.mailbox = str_end(ap, str_begin(ap));
	emit(ap, &start);
	parse_list(ap, true);
	if (is_sp(peek(ap), ';'))
		next(ap);
	emit(ap, &end);
}

static void
parse_address(struct addr_parser *ap, bool in_group)
{
	struct tok t;
	const char *comment = NO_STR;
	size_t i;

	ap->nseg = 0;
	for (t = peek(ap); t.type != TOK_END; t = peek(ap)) {
		if (is_sp(t, ',') || is_sp(t, ';') || is_sp(t, '<') || is_sp(t, ':'))
			break;
		seg_push(ap, next(ap));
	}
	if (is_sp(t, '<')) {
		next(ap);
		parse_angle(ap, phrase_str(ap, 0, ap->nseg));
	} else if (is_sp(t, ':') && !in_group) {
		next(ap);
		parse_group(ap, phrase_str(ap, 0, ap->nseg));
	} else {
		for (i = 0; i < ap->nseg; i++) {
			if (ap->seg[i].type == TOK_COMMENT) {
				const char *s = str_begin(ap);

				append_unquoted(&ap->out->text, &ap->seg[i]);
				comment = str_end(ap, s);
			}
		}
		emit_addr_spec(ap, 0, ap->nseg, comment, NO_STR);
		if (is_sp(t, ':')) {
			/* a nested group is not allowed: drop the ':' and go on */
			next(ap);
			return;
		}
	}
	skip_rest(ap, in_group);
}

static void
parse_list(struct addr_parser *ap, bool in_group)
{
	struct tok t;

	for (t = peek(ap); t.type != TOK_END; t = peek(ap)) {
		if (is_sp(t, ',') || (!in_group && is_sp(t, ';'))) {
			next(ap);
			continue;
		}
		if (is_sp(t, ';'))
			return;
		parse_address(ap, in_group);
	}
}

static const char *
fixup(const struct buf *text, const char *off)
{
	if (off == NO_STR)
		return NULL;
	return text->data + ((uintptr_t)off - 1);
}

void
rfc5322_addr_list_parse(const char *value, size_t len, struct rfc5322_addr_list *out)
{
	struct addr_parser ap;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&ap, 0, sizeof(ap));
	ap.p = value;
	ap.end = value + len;
	ap.out = out;
	/* offsets are stored as offset+1 so that 0 stays "none" */
	buf_appendc(&out->text, '\0');
	parse_list(&ap, false);
	free(ap.seg);
	for (i = 0; i < out->count; i++) {
		struct rfc5322_addr *a = &out->addrs[i];

		a->name = fixup(&out->text, a->name);
		a->route = fixup(&out->text, a->route);
		a->mailbox = fixup(&out->text, a->mailbox);
		a->domain = fixup(&out->text, a->domain);
	}
}

void
rfc5322_addr_list_free(struct rfc5322_addr_list *l)
{
	free(l->addrs);
	buf_free(&l->text);
	memset(l, 0, sizeof(*l));
}

size_t
rfc5322_addr_list_real_count(const struct rfc5322_addr_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->count; i++)
		if (!l->addrs[i].group_start && !l->addrs[i].group_end)
			n++;
	return n;
}
