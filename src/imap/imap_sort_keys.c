/* SORT criteria (RFC 5256 3, RFC 5957 3) and the ordering of messages by them. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_parser.h"
#include "imap/imap_sort.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const struct {
	const char *name;
	enum imap_sort_key key;
} sort_keys[] = {
	{"ARRIVAL", IMAP_SORT_ARRIVAL},
	{"CC", IMAP_SORT_CC},
	{"DATE", IMAP_SORT_DATE},
	{"FROM", IMAP_SORT_FROM},
	{"SIZE", IMAP_SORT_SIZE},
	{"SUBJECT", IMAP_SORT_SUBJECT},
	{"TO", IMAP_SORT_TO},
	{"DISPLAYFROM", IMAP_SORT_DISPLAYFROM},
	{"DISPLAYTO", IMAP_SORT_DISPLAYTO},
};

int
imap_sort_parse_criteria(const struct imap_arg *list, struct imap_sort_crit *out, size_t *n_r,
			 const char **error_r)
{
	size_t n = 0;
	bool reverse = false;

	if (list == NULL || list->type != IMAP_ARG_LIST || list->count == 0) {
		*error_r = "Sort criteria must be a non-empty list";
		return -1;
	}
	for (size_t i = 0; i < list->count; i++) {
		const char *s;
		size_t k;

		if (!imap_arg_get_atom(&list->list[i], &s)) {
			*error_r = "Invalid sort criterion";
			return -1;
		}
		if (str_casecmp(s, "REVERSE") == 0) {
			if (reverse) {
				*error_r = "REVERSE twice";
				return -1;
			}
			reverse = true;
			continue;
		}
		for (k = 0; k < sizeof(sort_keys) / sizeof(sort_keys[0]); k++) {
			if (str_casecmp(s, sort_keys[k].name) == 0)
				break;
		}
		if (k == sizeof(sort_keys) / sizeof(sort_keys[0])) {
			*error_r = "Unknown sort criterion";
			return -1;
		}
		if (n == IMAP_SORT_MAX_CRITERIA) {
			*error_r = "Too many sort criteria";
			return -1;
		}
		out[n].key = sort_keys[k].key;
		out[n++].reverse = reverse;
		reverse = false;
	}
	if (reverse) {
		*error_r = "REVERSE without a sort key";
		return -1;
	}
	*n_r = n;
	return 0;
}

static int
key_of(enum imap_sort_key k)
{
	switch (k) {
	case IMAP_SORT_CC:
		return MSG_SORTKEY_CC;
	case IMAP_SORT_FROM:
		return MSG_SORTKEY_FROM;
	case IMAP_SORT_SUBJECT:
		return MSG_SORTKEY_SUBJECT;
	case IMAP_SORT_TO:
		return MSG_SORTKEY_TO;
	case IMAP_SORT_DISPLAYFROM:
		return MSG_SORTKEY_DISPLAYFROM;
	case IMAP_SORT_DISPLAYTO:
		return MSG_SORTKEY_DISPLAYTO;
	default:
		return -1;
	}
}

unsigned
imap_sort_keys_needed(const struct imap_sort_crit *crit, size_t n_crit)
{
	unsigned mask = 0;

	for (size_t i = 0; i < n_crit; i++) {
		int k = key_of(crit[i].key);

		if (k >= 0)
			mask |= 1u << k;
	}
	return mask;
}

struct sort_ctx {
	const char *arena;
	const struct imap_sort_crit *crit;
	size_t n_crit;
};

static int
cmp_num(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* i;ascii-casemap (RFC 4790 9.2): the keys are upper-cased already, so octet order */
static int
cmp_strings(const char *arena, const struct imap_sort_msg *a, const struct imap_sort_msg *b, int k)
{
	size_t la = a->len[k], lb = b->len[k];
	int r = memcmp(arena + a->off[k], arena + b->off[k], la < lb ? la : lb);

	return r != 0 ? r : cmp_num((int64_t)la, (int64_t)lb);
}

/* i;ascii-casemap (RFC 4790 9.2): the keys are upper-cased already, so octet order; two
 * ranked messages compare by rank (the same order, computed once per mailbox) */
static int
cmp_key(const struct sort_ctx *c, const struct imap_sort_msg *a, const struct imap_sort_msg *b,
	int k)
{
	if (a->rank[k] != 0 && b->rank[k] != 0)
		return cmp_num(a->rank[k], b->rank[k]);
	return cmp_strings(c->arena, a, b, k);
}

struct rank_ctx {
	const char *arena;
	int k;
};

static int
cmp_rank(const void *pa, const void *pb, void *arg)
{
	const struct rank_ctx *rc = arg;

	return cmp_strings(rc->arena, *(const struct imap_sort_msg *const *)pa,
			   *(const struct imap_sort_msg *const *)pb, rc->k);
}

void
imap_sort_rank(struct imap_sort_msg *msgs, size_t n, const char *arena, enum msg_sortkey k)
{
	struct rank_ctx rc = {.arena = arena != NULL ? arena : "", .k = (int)k};
	struct imap_sort_msg **order;
	uint32_t rank = 0;

	if (n == 0 || (int)k > MSG_SORTKEY_DISPLAYTO)
		return;
	order = xmalloc(n * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = &msgs[i];
	qsort_r(order, n, sizeof(*order), cmp_rank, &rc);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || cmp_strings(rc.arena, order[i - 1], order[i], rc.k) != 0)
			rank++;
		order[i]->rank[k] = rank;
	}
	free(order);
}

static int
cmp_msgs(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct imap_sort_ref *ra = pa, *rb = pb;
	const struct imap_sort_msg *a = ra->m, *b = rb->m;

	for (size_t i = 0; i < c->n_crit; i++) {
		int r, k;

		switch (c->crit[i].key) {
		case IMAP_SORT_ARRIVAL:
			r = cmp_num(a->arrival, b->arrival);
			break;
		case IMAP_SORT_DATE:
			r = cmp_num(a->date, b->date);
			break;
		case IMAP_SORT_SIZE:
			r = cmp_num((int64_t)a->size, (int64_t)b->size);
			break;
		default:
			k = key_of(c->crit[i].key);
			r = cmp_key(c, a, b, k);
			break;
		}
		if (r != 0)
			return c->crit[i].reverse ? -r : r;
	}
	return cmp_num(ra->seq, rb->seq);
}

/* The first criterion of m as an unsigned number in the criterion's order (REVERSE
 * included); false when there is none (a string key not ranked: compare the strings). */
static bool
radix_key(const struct imap_sort_crit *crit, const struct imap_sort_msg *m, uint64_t *key_r)
{
	uint64_t v;
	int k;

	switch (crit->key) {
	case IMAP_SORT_ARRIVAL:
		v = (uint64_t)m->arrival ^ (1ull << 63); /* signed order as unsigned */
		break;
	case IMAP_SORT_DATE:
		v = (uint64_t)m->date ^ (1ull << 63);
		break;
	case IMAP_SORT_SIZE:
		v = (uint64_t)(int64_t)m->size ^ (1ull << 63); /* cmp_msgs compares int64 */
		break;
	default:
		k = key_of(crit->key);
		if (k < 0 || k > MSG_SORTKEY_DISPLAYTO || m->rank[k] == 0)
			return false;
		v = m->rank[k];
		break;
	}
	*key_r = crit->reverse ? ~v : v;
	return true;
}

struct keyed_ref {
	uint64_t key;
	struct imap_sort_ref ref;
};

/* Sorts refs (in ascending seq order) by the first criterion with a stable LSD radix sort
 * (equal keys stay in seq order, RFC 5256 3), then each run of equal keys by the other
 * criteria. false (refs unchanged) when a key is not a number or the input is not in seq
 * order. Why: SORT (SUBJECT) of 10,000 cached messages spent 2/3 of its time in qsort's
 * comparisons through the references (a cache miss each); here 8 linear passes at most. */
static bool
sort_radix(struct imap_sort_ref *refs, size_t n, const struct sort_ctx *c)
{
	struct keyed_ref *a = xmalloc(xsize_mul(n, 2 * sizeof(*a))), *b = a + n, *t;
	size_t count[256];

	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && refs[i].seq <= refs[i - 1].seq) ||
		    !radix_key(&c->crit[0], refs[i].m, &a[i].key)) {
			free(a < b ? a : b);
			return false;
		}
		a[i].ref = refs[i];
	}
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t pos = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & 0xff]++;
		if (count[(a[0].key >> shift) & 0xff] == n)
			continue; /* every key has this byte: the pass would change nothing */
		for (size_t d = 0; d < 256; d++) {
			size_t k = count[d];

			count[d] = pos;
			pos += k;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = a[i].ref;
	if (c->n_crit > 1) {
		struct sort_ctx rest = {
			.arena = c->arena, .crit = c->crit + 1, .n_crit = c->n_crit - 1};

		for (size_t i = 0, j; i < n; i = j) {
			for (j = i + 1; j < n && a[j].key == a[i].key; j++)
				;
			if (j - i > 1)
				qsort_r(refs + i, j - i, sizeof(*refs), cmp_msgs, &rest);
		}
	}
	free(a < b ? a : b);
	return true;
}

/* below this many, qsort is as quick */
#define RADIX_MIN 64

void
imap_sort_refs(struct imap_sort_ref *refs, size_t n, const char *arena,
	       const struct imap_sort_crit *crit, size_t n_crit)
{
	/* an arena with nothing in it may be NULL: keys are then all empty */
	struct sort_ctx c = {.arena = arena != NULL ? arena : "", .crit = crit, .n_crit = n_crit};

	if (n > 1 && (n < RADIX_MIN || n_crit == 0 || !sort_radix(refs, n, &c)))
		qsort_r(refs, n, sizeof(*refs), cmp_msgs, &c);
}

void
imap_sort_msgs(struct imap_sort_msg *msgs, size_t n, const char *arena,
	       const struct imap_sort_crit *crit, size_t n_crit)
{
	struct imap_sort_ref *refs;
	struct imap_sort_msg *sorted;

	if (n < 2)
		return;
	/* references are sorted, not the 100-byte entries: qsort moves what it sorts */
	refs = xmalloc(n * sizeof(*refs));
	for (size_t i = 0; i < n; i++) {
		refs[i].m = &msgs[i];
		refs[i].seq = msgs[i].seq;
	}
	imap_sort_refs(refs, n, arena, crit, n_crit);
	sorted = xmalloc(n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = *refs[i].m;
	memcpy(msgs, sorted, n * sizeof(*msgs));
	free(sorted);
	free(refs);
}

void
imap_sort_append_u32(struct buf *out, uint32_t n)
{
	char tmp[10];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	buf_append(out, tmp + i, sizeof(tmp) - i);
}
