/* imap_context_diff(): what changed between two results of a context (RFC 5267 4.3). */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_context.h"
#include "util/xmalloc.h"

struct uid_pos {
	uint32_t uid;
	size_t pos;
};

static int
cmp_uid_pos(const void *a, const void *b)
{
	uint32_t x = ((const struct uid_pos *)a)->uid, y = ((const struct uid_pos *)b)->uid;

	return x < y ? -1 : x > y;
}

static const struct uid_pos *
find(const struct uid_pos *sorted, size_t n, uint32_t uid)
{
	struct uid_pos key = {.uid = uid};

	return n > 0 ? bsearch(&key, sorted, n, sizeof(*sorted), cmp_uid_pos) : NULL;
}

static struct uid_pos *
index_of(const uint32_t *list, size_t n)
{
	struct uid_pos *ix = xmalloc((n + 1) * sizeof(*ix));

	for (size_t i = 0; i < n; i++) {
		ix[i].uid = list[i];
		ix[i].pos = i;
	}
	qsort(ix, n, sizeof(*ix), cmp_uid_pos);
	return ix;
}

/* Marks in keep[] a longest increasing subsequence of v[0..n) (patience sorting,
 * O(n log n)): the messages that can stay where they are. */
static void
longest_increasing(const size_t *v, size_t n, bool *keep)
{
	size_t *tail = xmalloc((n + 1) * sizeof(size_t)); /* index of the end of each length */
	size_t *prev = xmalloc((n + 1) * sizeof(size_t));
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = len;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (v[tail[mid]] < v[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo > 0 ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	memset(keep, 0, n * sizeof(bool));
	for (size_t i = len > 0 ? tail[len - 1] : SIZE_MAX; i != SIZE_MAX; i = prev[i])
		keep[i] = true;
	free(tail);
	free(prev);
}

void
imap_context_diff(const uint32_t *old, size_t n_old, const uint32_t *fresh, size_t n_new,
		  bool sorted, bool *removed, bool *added)
{
	struct uid_pos *old_ix = index_of(old, n_old), *new_ix = index_of(fresh, n_new);
	size_t *old_pos = xmalloc((n_new + 1) * sizeof(size_t)), n_common = 0;
	size_t *where = xmalloc((n_new + 1) * sizeof(size_t));
	bool *keep = xmalloc((n_new + 1) * sizeof(bool));

	for (size_t i = 0; i < n_old; i++)
		removed[i] = find(new_ix, n_new, old[i]) == NULL;
	for (size_t j = 0; j < n_new; j++) {
		const struct uid_pos *o = find(old_ix, n_old, fresh[j]);

		added[j] = o == NULL;
		if (o != NULL) {
			old_pos[n_common] = o->pos;
			where[n_common++] = j;
		}
	}
	/* a sorted result: a message whose place among the others changed is taken out
	 * and put in again (RFC 5267 4.3); the fewest such moves keep a longest run of
	 * messages in their old relative order */
	if (sorted && n_common > 1) {
		longest_increasing(old_pos, n_common, keep);
		for (size_t k = 0; k < n_common; k++) {
			if (!keep[k]) {
				removed[old_pos[k]] = true;
				added[where[k]] = true;
			}
		}
	}
	free(keep);
	free(where);
	free(old_pos);
	free(old_ix);
	free(new_ix);
}
