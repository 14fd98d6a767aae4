/* SEARCH argument parsing (see imap_search.h). RFC 3501 9 search / search-key, RFC 4731
 * search-return-opts, RFC 5182 "$" and SAVE, RFC 7162 3.1.5 search-modsequence. */
#include "imap/imap_search.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_date.h"
#include "imap/imap_flags.h"
#include "imap/imap_parser.h"
#include "mail/mime_text.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* NOT NOT NOT ... and OR chains recurse: bounded. */
#define SEARCH_MAX_DEPTH 64

enum key_arg {
	KA_NONE,
	KA_STRING,
	KA_DATE,
	KA_NUMBER,
	KA_SEQSET,
	KA_HEADER,
	KA_KEYWORD,
	KA_NOT,
	KA_OR,
	KA_MODSEQ,
	KA_NEW,
};

struct key_def {
	const char *name;
	enum key_arg arg;
	enum imap_search_type type;
	unsigned flag;
	bool negate; /* UNSEEN = NOT SEEN, OLD = NOT RECENT, ... */
};

static const struct key_def key_defs[] = {
	{"ALL", KA_NONE, IMAP_SEARCH_ALL, 0, false},
	{"ANSWERED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_ANSWERED, false},
	{"BCC", KA_STRING, IMAP_SEARCH_BCC, 0, false},
	{"BEFORE", KA_DATE, IMAP_SEARCH_BEFORE, 0, false},
	{"BODY", KA_STRING, IMAP_SEARCH_BODY, 0, false},
	{"CC", KA_STRING, IMAP_SEARCH_CC, 0, false},
	{"DELETED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_DELETED, false},
	{"DRAFT", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_DRAFT, false},
	{"FLAGGED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_FLAGGED, false},
	{"FROM", KA_STRING, IMAP_SEARCH_FROM, 0, false},
	{"HEADER", KA_HEADER, IMAP_SEARCH_HEADER, 0, false},
	{"KEYWORD", KA_KEYWORD, IMAP_SEARCH_KEYWORD, 0, false},
	{"LARGER", KA_NUMBER, IMAP_SEARCH_LARGER, 0, false},
	{"MODSEQ", KA_MODSEQ, IMAP_SEARCH_MODSEQ, 0, false},
	{"NEW", KA_NEW, IMAP_SEARCH_AND, 0, false},
	{"NOT", KA_NOT, IMAP_SEARCH_NOT, 0, false},
	{"OLD", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_RECENT, true},
	{"ON", KA_DATE, IMAP_SEARCH_ON, 0, false},
	{"OR", KA_OR, IMAP_SEARCH_OR, 0, false},
	{"RECENT", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_RECENT, false},
	{"SEEN", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_SEEN, false},
	{"SENTBEFORE", KA_DATE, IMAP_SEARCH_SENTBEFORE, 0, false},
	{"SENTON", KA_DATE, IMAP_SEARCH_SENTON, 0, false},
	{"SENTSINCE", KA_DATE, IMAP_SEARCH_SENTSINCE, 0, false},
	{"SINCE", KA_DATE, IMAP_SEARCH_SINCE, 0, false},
	{"SMALLER", KA_NUMBER, IMAP_SEARCH_SMALLER, 0, false},
	{"SUBJECT", KA_STRING, IMAP_SEARCH_SUBJECT, 0, false},
	{"TEXT", KA_STRING, IMAP_SEARCH_TEXT, 0, false},
	{"TO", KA_STRING, IMAP_SEARCH_TO, 0, false},
	{"UID", KA_SEQSET, IMAP_SEARCH_UID, 0, false},
	{"UNANSWERED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_ANSWERED, true},
	{"UNDELETED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_DELETED, true},
	{"UNDRAFT", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_DRAFT, true},
	{"UNFLAGGED", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_FLAGGED, true},
	{"UNKEYWORD", KA_KEYWORD, IMAP_SEARCH_KEYWORD, 0, true},
	{"UNSEEN", KA_NONE, IMAP_SEARCH_FLAG, IMAP_FLAG_SEEN, true},
};

struct parse_ctx {
	const struct imap_arg *args;
	size_t count;
	size_t pos;
	unsigned depth;
	struct imap_search_query *q;
	const char *error;
};

static void
key_free(struct imap_search_key *k)
{
	for (size_t i = 0; i < k->count; i++)
		key_free(&k->children[i]);
	free(k->children);
	free(k->field);
	free(k->value);
	imap_seqset_free(&k->set);
	if (k->matcher != NULL) {
		mime_text_matcher_free(k->matcher);
		free(k->matcher);
	}
	memset(k, 0, sizeof(*k));
}

void
imap_search_query_free(struct imap_search_query *q)
{
	key_free(&q->root);
	memset(q, 0, sizeof(*q));
}

size_t
imap_search_count_keys(const struct imap_search_key *k)
{
	size_t n = k->count;

	for (size_t i = 0; i < k->count; i++)
		n += imap_search_count_keys(&k->children[i]);
	return n;
}

static struct imap_search_key *
add_child(struct imap_search_key *parent, enum imap_search_type type)
{
	struct imap_search_key *k;

	parent->children = xrealloc(parent->children, (parent->count + 1) * sizeof(*k));
	k = &parent->children[parent->count++];
	memset(k, 0, sizeof(*k));
	k->type = type;
	return k;
}

static const struct imap_arg *
next_arg(struct parse_ctx *ctx)
{
	if (ctx->pos >= ctx->count) {
		ctx->error = "Missing search argument";
		return NULL;
	}
	return &ctx->args[ctx->pos++];
}

static int
next_astring(struct parse_ctx *ctx, char **value_r)
{
	const struct imap_arg *a = next_arg(ctx);
	const char *s;

	if (a == NULL)
		return -1;
	if (!imap_arg_get_astring(a, &s)) {
		ctx->error = "Invalid search string";
		return -1;
	}
	*value_r = xstrdup(s);
	return 0;
}

static int
next_atom(struct parse_ctx *ctx, const char **s_r)
{
	const struct imap_arg *a = next_arg(ctx);

	if (a == NULL)
		return -1;
	if (!imap_arg_get_atom(a, s_r)) {
		ctx->error = "Invalid search argument";
		return -1;
	}
	return 0;
}

static int
parse_number(struct parse_ctx *ctx, uint64_t *n_r)
{
	unsigned long long n;
	const char *s;

	if (next_atom(ctx, &s) < 0)
		return -1;
	if (s[0] < '0' || s[0] > '9' || str_to_u64(s, &n) < 0 || n > INT64_MAX) {
		ctx->error = "Invalid number";
		return -1;
	}
	*n_r = n;
	return 0;
}

static int
parse_date(struct parse_ctx *ctx, long *day_r)
{
	const struct imap_arg *a = next_arg(ctx);
	const char *s;

	if (a == NULL)
		return -1;
	if (!imap_arg_get_astring(a, &s) || imap_date_parse(s, day_r) < 0) {
		ctx->error = "Invalid search date";
		return -1;
	}
	return 0;
}

static int
parse_seqset(struct parse_ctx *ctx, struct imap_seqset *set)
{
	const char *s;

	if (next_atom(ctx, &s) < 0)
		return -1;
	if (imap_seqset_parse(set, s, true, &ctx->error) < 0)
		return -1;
	if (set->saved)
		ctx->q->uses_saved = true;
	return 0;
}

/* RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer */
static int
parse_modseq(struct parse_ctx *ctx, struct imap_search_key *k)
{
	const char *s;

	if (ctx->pos < ctx->count && ctx->args[ctx->pos].type != IMAP_ARG_ATOM) {
		if (next_astring(ctx, &k->field) < 0 || next_atom(ctx, &s) < 0)
			return -1;
		if (str_casecmp(s, "priv") != 0 && str_casecmp(s, "shared") != 0 &&
		    str_casecmp(s, "all") != 0) {
			ctx->error = "Invalid MODSEQ entry type";
			return -1;
		}
	}
	ctx->q->has_modseq = true;
	return parse_number(ctx, &k->number);
}

static int parse_key(struct parse_ctx *ctx, struct imap_search_key *parent);

static int
parse_key_args(struct parse_ctx *ctx, const struct key_def *def, struct imap_search_key *k)
{
	const char *s;

	switch (def->arg) {
	case KA_NONE:
		return 0;
	case KA_STRING:
		return next_astring(ctx, &k->value);
	case KA_DATE:
		return parse_date(ctx, &k->day);
	case KA_NUMBER:
		return parse_number(ctx, &k->number);
	case KA_SEQSET:
		return parse_seqset(ctx, &k->set);
	case KA_HEADER:
		if (next_astring(ctx, &k->field) < 0)
			return -1;
		return next_astring(ctx, &k->value);
	case KA_KEYWORD:
		if (next_atom(ctx, &s) < 0)
			return -1;
		k->value = xstrdup(s);
		return 0;
	case KA_NOT:
		return parse_key(ctx, k);
	case KA_OR:
		if (parse_key(ctx, k) < 0)
			return -1;
		return parse_key(ctx, k);
	case KA_MODSEQ:
		return parse_modseq(ctx, k);
	case KA_NEW:
		/* RFC 3501 6.4.4: NEW is (RECENT UNSEEN) */
		add_child(k, IMAP_SEARCH_FLAG)->flag = IMAP_FLAG_RECENT;
		add_child(add_child(k, IMAP_SEARCH_NOT), IMAP_SEARCH_FLAG)->flag = IMAP_FLAG_SEEN;
		return 0;
	}
	return -1;
}

static const struct key_def *
find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(key_defs) / sizeof(key_defs[0]); i++) {
		if (str_casecmp(name, key_defs[i].name) == 0)
			return &key_defs[i];
	}
	return NULL;
}

static int
parse_list(struct parse_ctx *ctx, const struct imap_arg *list, struct imap_search_key *parent)
{
	struct parse_ctx sub = *ctx;
	struct imap_search_key *k;

	if (list->count == 0) {
		ctx->error = "Empty search list";
		return -1;
	}
	k = add_child(parent, IMAP_SEARCH_AND);
	sub.args = list->list;
	sub.count = list->count;
	sub.pos = 0;
	while (sub.pos < sub.count) {
		if (parse_key(&sub, k) < 0) {
			ctx->error = sub.error;
			return -1;
		}
	}
	return 0;
}

static int
parse_key_at(struct parse_ctx *ctx, struct imap_search_key *parent)
{
	const struct imap_arg *a = next_arg(ctx);
	const struct key_def *def;
	struct imap_search_key *k;
	const char *s;

	if (a == NULL)
		return -1;
	if (a->type == IMAP_ARG_LIST)
		return parse_list(ctx, a, parent);
	if (!imap_arg_get_atom(a, &s)) {
		ctx->error = "Invalid search key";
		return -1;
	}
	if (imap_seqset_is_valid(s, true)) {
		ctx->pos--;
		return parse_seqset(ctx, &add_child(parent, IMAP_SEARCH_SEQSET)->set);
	}
	if ((def = find_key(s)) == NULL) {
		ctx->error = "Unknown search key";
		return -1;
	}
	if (def->negate)
		parent = add_child(parent, IMAP_SEARCH_NOT);
	k = add_child(parent, def->type);
	k->flag = def->flag;
	return parse_key_args(ctx, def, k);
}

static int
parse_key(struct parse_ctx *ctx, struct imap_search_key *parent)
{
	int ret;

	if (++ctx->depth > SEARCH_MAX_DEPTH) {
		ctx->error = "Search too deeply nested";
		return -1;
	}
	ret = parse_key_at(ctx, parent);
	ctx->depth--;
	return ret;
}

/* One end of a PARTIAL range: a non-zero number, negative counting from the end. */
static bool
parse_partial_end(const char *s, size_t len, int32_t *n_r)
{
	bool neg = len > 0 && s[0] == '-';
	long long n = 0;

	if (neg) {
		s++;
		len--;
	}
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	if (n == 0 || n > INT32_MAX)
		return false;
	*n_r = (int32_t)(neg ? -n : n);
	return true;
}

/* RFC 9394 3.1 (and RFC 5267 4.4): partial-range = num ":" num, both of one sign */
static int
parse_partial(const struct imap_arg *a, struct imap_search_query *q)
{
	const char *s, *colon;
	int32_t lo, hi;

	if (a == NULL || !imap_arg_get_atom(a, &s) || (colon = strchr(s, ':')) == NULL ||
	    !parse_partial_end(s, (size_t)(colon - s), &lo) ||
	    !parse_partial_end(colon + 1, strlen(colon + 1), &hi) || (lo < 0) != (hi < 0))
		return -1;
	q->partial_lo = lo < hi ? lo : hi;
	q->partial_hi = lo < hi ? hi : lo;
	return 0;
}

int
imap_search_parse_return(const struct imap_arg *list, struct imap_search_query *q,
			 const char **error_r)
{
	static const char *const names[] = {"MIN",  "MAX",     "ALL",    "COUNT",
					    "SAVE", "PARTIAL", "UPDATE", "CONTEXT"};
	const char *s;

	q->esearch = true;
	for (size_t i = 0; i < list->count; i++) {
		unsigned bit = 0;

		if (!imap_arg_get_atom(&list->list[i], &s))
			s = "";
		for (unsigned j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			if (str_casecmp(s, names[j]) == 0)
				bit = 1u << j;
		}
		if (bit == 0) {
			*error_r = "Unknown RETURN option";
			return -1;
		}
		if (bit == IMAP_SEARCH_RET_PARTIAL &&
		    parse_partial(++i < list->count ? &list->list[i] : NULL, q) < 0) {
			*error_r = "Invalid PARTIAL range";
			return -1;
		}
		q->ret |= bit;
	}
	/* RFC 5267 4.4: PARTIAL and ALL together make no sense */
	if ((q->ret & IMAP_SEARCH_RET_PARTIAL) && (q->ret & IMAP_SEARCH_RET_ALL)) {
		*error_r = "PARTIAL and ALL are exclusive";
		return -1;
	}
	/* RFC 4731 3.1: RETURN () is RETURN (ALL), and so is a list of hints alone (RFC
	 * 5267 4.2 CONTEXT, 4.3 UPDATE); RFC 5182 2.1: (SAVE) alone returns none */
	if ((q->ret & ~(unsigned)(IMAP_SEARCH_RET_UPDATE | IMAP_SEARCH_RET_CONTEXT)) == 0)
		q->ret |= IMAP_SEARCH_RET_ALL;
	return 0;
}

static int
parse_return(struct parse_ctx *ctx, const struct imap_arg *list)
{
	return imap_search_parse_return(list, ctx->q, &ctx->error);
}

static int
parse_prefix(struct parse_ctx *ctx)
{
	const char *s;

	if (ctx->count >= 2 && imap_arg_atom_equals(&ctx->args[0], "RETURN")) {
		if (ctx->args[1].type != IMAP_ARG_LIST) {
			ctx->error = "RETURN needs a list";
			return -1;
		}
		if (parse_return(ctx, &ctx->args[1]) < 0)
			return -1;
		ctx->pos = 2;
	}
	if (ctx->pos + 1 < ctx->count && imap_arg_atom_equals(&ctx->args[ctx->pos], "CHARSET")) {
		if (!imap_arg_get_astring(&ctx->args[ctx->pos + 1], &s)) {
			ctx->error = "Invalid charset";
			return -1;
		}
		if (str_casecmp(s, "UTF-8") == 0 || str_casecmp(s, "UTF8") == 0) {
			ctx->q->utf8 = true;
		} else if (str_casecmp(s, "US-ASCII") != 0) {
			ctx->q->bad_charset = true;
			ctx->error = "Unsupported charset";
			return -1;
		}
		ctx->pos += 2;
	}
	return 0;
}

int
imap_search_parse(const struct imap_arg *args, size_t count, struct imap_search_query *q,
		  const char **error_r)
{
	struct parse_ctx ctx = {.args = args, .count = count, .q = q};

	memset(q, 0, sizeof(*q));
	q->root.type = IMAP_SEARCH_AND;
	if (parse_prefix(&ctx) < 0) {
		*error_r = ctx.error;
		return -1;
	}
	if (ctx.pos >= count) {
		*error_r = "Missing search key";
		return -1;
	}
	while (ctx.pos < count) {
		if (parse_key(&ctx, &q->root) < 0) {
			*error_r = ctx.error;
			return -1;
		}
	}
	return 0;
}
