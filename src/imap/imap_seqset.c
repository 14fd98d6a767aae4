/* Sequence sets (see imap_seqset.h). RFC 3501 9:
 *   sequence-set = (seq-number / seq-range) ["," sequence-set]
 *   seq-range = seq-number ":" seq-number; seq-number = nz-number / "*" */
#include "imap/imap_seqset.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

void
imap_seqset_init(struct imap_seqset *set)
{
	memset(set, 0, sizeof(*set));
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->ranges);
	imap_seqset_init(set);
}

void
imap_seqset_clear(struct imap_seqset *set)
{
	set->count = 0;
	set->saved = false;
}

void
imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	set->ranges = xgrow(set->ranges, &set->cap, set->count + 1, sizeof(*set->ranges));
	set->ranges[set->count].lo = lo;
	set->ranges[set->count].hi = hi;
	set->count++;
}

/* seq-number: nz-number (digit-nz *DIGIT, at most 4294967295) or "*". */
static const char *
parse_number(const char *s, uint32_t *n_r)
{
	uint64_t n = 0;

	if (*s == '*') {
		*n_r = IMAP_SEQ_STAR;
		return s + 1;
	}
	if (*s < '1' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s++ - '0');
		if (n > UINT32_MAX)
			return NULL;
	}
	*n_r = (uint32_t)n;
	return s;
}

int
imap_seqset_parse(struct imap_seqset *set, const char *str, bool allow_saved, const char **error_r)
{
	const char *s = str;
	uint32_t lo, hi;

	imap_seqset_clear(set);
	if (strcmp(str, "$") == 0) {
		if (!allow_saved) {
			*error_r = "Saved search result ($) not available";
			return -1;
		}
		set->saved = true;
		return 0;
	}
	for (;;) {
		if ((s = parse_number(s, &lo)) == NULL)
			goto bad;
		hi = lo;
		if (*s == ':' && (s = parse_number(s + 1, &hi)) == NULL)
			goto bad;
		imap_seqset_add(set, lo, hi);
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			goto bad;
	}
bad:
	imap_seqset_clear(set);
	*error_r = "Invalid sequence set";
	return -1;
}

bool
imap_seqset_is_valid(const char *str, bool allow_saved)
{
	struct imap_seqset set;
	const char *error;
	int ret;

	imap_seqset_init(&set);
	ret = imap_seqset_parse(&set, str, allow_saved, &error);
	imap_seqset_free(&set);
	return ret == 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

void
imap_seqset_normalize(struct imap_seqset *set)
{
	size_t out = 0;

	for (size_t i = 0; i < set->count; i++) {
		if (set->ranges[i].lo > set->ranges[i].hi) {
			uint32_t t = set->ranges[i].lo;
			set->ranges[i].lo = set->ranges[i].hi;
			set->ranges[i].hi = t;
		}
	}
	if (set->count < 2)
		return;
	qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	for (size_t i = 1; i < set->count; i++) {
		struct imap_seq_range *last = &set->ranges[out];
		const struct imap_seq_range *r = &set->ranges[i];

		/* adjacent (hi + 1 == lo) or overlapping ranges merge */
		if (last->hi == UINT32_MAX || r->lo <= last->hi + 1) {
			if (r->hi > last->hi)
				last->hi = r->hi;
		} else {
			set->ranges[++out] = *r;
		}
	}
	set->count = out + 1;
}

void
imap_seqset_resolve(const struct imap_seqset *in, uint32_t star, struct imap_seqset *out)
{
	imap_seqset_clear(out);
	for (size_t i = 0; i < in->count; i++) {
		uint32_t lo = in->ranges[i].lo, hi = in->ranges[i].hi;

		imap_seqset_add(out, lo == IMAP_SEQ_STAR ? star : lo,
				hi == IMAP_SEQ_STAR ? star : hi);
	}
	imap_seqset_normalize(out);
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->ranges[mid].lo)
			hi = mid;
		else if (n > set->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t
imap_seqset_min(const struct imap_seqset *set)
{
	return set->count > 0 ? set->ranges[0].lo : 0;
}

uint32_t
imap_seqset_max(const struct imap_seqset *set)
{
	return set->count > 0 ? set->ranges[set->count - 1].hi : 0;
}

uint64_t
imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t n = 0;

	for (size_t i = 0; i < set->count; i++)
		n += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return n;
}

static void
write_range(struct buf *out, uint32_t lo, uint32_t hi, bool first)
{
	if (!first)
		buf_appendc(out, ',');
	if (lo == hi)
		buf_printf(out, "%u", lo);
	else
		buf_printf(out, "%u:%u", lo, hi);
}

void
imap_seqset_write(struct buf *out, const struct imap_seqset *set)
{
	for (size_t i = 0; i < set->count; i++)
		write_range(out, set->ranges[i].lo, set->ranges[i].hi, i == 0);
}

void
imap_seqset_write_list(struct buf *out, const uint32_t *nums, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j + 1 < n && nums[j] != UINT32_MAX && nums[j + 1] == nums[j] + 1)
			j++;
		write_range(out, nums[i], nums[j], i == 0);
		i = j + 1;
	}
}
