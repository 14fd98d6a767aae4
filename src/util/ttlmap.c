/* Bounded expiring map (see ttlmap.h), over strmap. Eviction scans the map, which only
 * happens when it is full: the bound is what matters under attack, and a full scan of a
 * few ten thousand entries costs microseconds. */
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

struct sweep {
	time_t now;
	char **expired; /* keys of expired entries */
	size_t n_expired;
	const char *soonest; /* the live entry that expires first */
	time_t soonest_at;
};

static void
sweep_one(const char *key, void *value, void *ctx)
{
	struct sweep *sw = ctx;
	const struct ttlmap_entry *e = value;

	if (sw->now >= e->expires)
		sw->expired[sw->n_expired++] = xstrdup(key);
	else if (sw->soonest == NULL || e->expires < sw->soonest_at) {
		sw->soonest = key;
		sw->soonest_at = e->expires;
	}
}

/* Drops the expired entries, or if there are none, the one that expires soonest. */
static void
make_room(struct ttlmap *m, time_t now)
{
	struct sweep sw = {.now = now};
	char *soonest;

	sw.expired = xcalloc(strmap_count(m->map) + 1, sizeof(*sw.expired));
	strmap_foreach(m->map, sweep_one, &sw);
	soonest = sw.n_expired == 0 && sw.soonest != NULL ? xstrdup(sw.soonest) : NULL;
	for (size_t i = 0; i < sw.n_expired; i++) {
		remove_key(m, sw.expired[i]);
		free(sw.expired[i]);
	}
	free(sw.expired);
	if (soonest != NULL) {
		remove_key(m, soonest);
		free(soonest);
	}
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
