/* Bounded expiring map (see ttlmap.h), over strmap. Eviction scans the map, which only
 * happens when it is full, and then frees room for many inserts (make_room). */
#include "util/ttlmap.h"

#include <stdlib.h>

#include "util/strmap.h"
#include "util/xmalloc.h"

struct ttlmap {
	struct strmap *map;
	size_t max;
};

struct ttlmap *
ttlmap_new(size_t max_entries)
{
	struct ttlmap *m = xcalloc(1, sizeof(*m));

	m->map = strmap_new();
	m->max = max_entries > 0 ? max_entries : 1;
	return m;
}

static void
free_value(const char *key, void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	free(value);
}

void
ttlmap_free(struct ttlmap **mp)
{
	struct ttlmap *m = *mp;

	if (m == NULL)
		return;
	strmap_foreach(m->map, free_value, NULL);
	strmap_free(&m->map);
	free(m);
	*mp = NULL;
}

size_t
ttlmap_count(const struct ttlmap *m)
{
	return strmap_count(m->map);
}

static void
remove_key(struct ttlmap *m, const char *key)
{
	free(strmap_get(m->map, key));
	strmap_set(m->map, key, NULL);
}

struct ttlmap_entry *
ttlmap_get(struct ttlmap *m, const char *key, time_t now)
{
	struct ttlmap_entry *e = strmap_get(m->map, key);

	if (e != NULL && now >= e->expires) {
		remove_key(m, key);
		return NULL;
	}
	return e;
}

/* One full scan frees room for many inserts: the expired entries, and if they are fewer
 * than a sixteenth of the bound, the sixteenth that expires soonest (kept in a max-heap
 * during the scan). So a full map costs O(log n) per insert, amortized, even when every
 * insert is a new key (a client inventing addresses or greylist triplets). */
struct candidate {
	time_t expires;
	const char *key;
};

struct sweep {
	time_t now;
	const char **expired;
	size_t n_expired, expired_cap;
	struct candidate *heap; /* max-heap on expires: the soonest seen so far */
	size_t n_heap, heap_max;
};

static void
heap_down(struct candidate *h, size_t n, size_t i)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		struct candidate t;

		if (l < n && h[l].expires > h[big].expires)
			big = l;
		if (r < n && h[r].expires > h[big].expires)
			big = r;
		if (big == i)
			return;
		t = h[i];
		h[i] = h[big];
		h[big] = t;
		i = big;
	}
}

static void
heap_push(struct candidate *h, size_t *n, struct candidate c)
{
	size_t i = (*n)++;

	h[i] = c;
	while (i > 0 && h[(i - 1) / 2].expires < h[i].expires) {
		struct candidate t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
sweep_one(const char *key, void *value, void *ctx)
{
	struct sweep *sw = ctx;
	const struct ttlmap_entry *e = value;
	struct candidate c = {e->expires, key};

	if (sw->now >= e->expires) {
		sw->expired = xgrow(sw->expired, &sw->expired_cap, sw->n_expired + 1,
				    sizeof(*sw->expired));
		sw->expired[sw->n_expired++] = key;
	} else if (sw->n_heap < sw->heap_max) {
		heap_push(sw->heap, &sw->n_heap, c);
	} else if (e->expires < sw->heap[0].expires) {
		sw->heap[0] = c;
		heap_down(sw->heap, sw->n_heap, 0);
	}
}

static void
make_room(struct ttlmap *m, time_t now)
{
	struct sweep sw = {.now = now, .heap_max = m->max / 16 + 1};
	char **victims;
	size_t n = 0;

	sw.heap = xcalloc(sw.heap_max, sizeof(*sw.heap));
	strmap_foreach(m->map, sweep_one, &sw);
	/* copies: removing an entry frees its key */
	victims = xcalloc(sw.n_expired + sw.n_heap + 1, sizeof(*victims));
	for (size_t i = 0; i < sw.n_expired; i++)
		victims[n++] = xstrdup(sw.expired[i]);
	for (size_t i = 0; sw.n_expired < sw.heap_max && i < sw.n_heap; i++)
		victims[n++] = xstrdup(sw.heap[i].key);
	for (size_t i = 0; i < n; i++) {
		remove_key(m, victims[i]);
		free(victims[i]);
	}
	free(victims);
	free(sw.expired);
	free(sw.heap);
}

struct ttlmap_entry *
ttlmap_put(struct ttlmap *m, const char *key, time_t now)
{
	struct ttlmap_entry *e = ttlmap_get(m, key, now);

	if (e != NULL)
		return e;
	if (strmap_count(m->map) >= m->max)
		make_room(m, now);
	e = xcalloc(1, sizeof(*e));
	strmap_set(m->map, key, e);
	return e;
}

int
ttlmap_del(struct ttlmap *m, const char *key, time_t now)
{
	if (ttlmap_get(m, key, now) == NULL)
		return 0;
	remove_key(m, key);
	return 1;
}

struct each {
	time_t now;
	void (*fn)(const char *key, const struct ttlmap_entry *e, void *ctx);
	void *ctx;
};

static void
each_one(const char *key, void *value, void *ctx)
{
	const struct each *ea = ctx;
	const struct ttlmap_entry *e = value;

	if (ea->now < e->expires)
		ea->fn(key, e, ea->ctx);
}

void
ttlmap_foreach(struct ttlmap *m, time_t now,
	       void (*fn)(const char *key, const struct ttlmap_entry *e, void *ctx), void *ctx)
{
	struct each ea = {now, fn, ctx};

	strmap_foreach(m->map, each_one, &ea);
}
