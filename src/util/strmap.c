/* String-keyed hash map (see strmap.h). Deletion uses backward-shift so no tombstones
 * accumulate under connect/disconnect churn. */
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

struct strmap_slot {
	char *key; /* NULL = empty */
	void *value;
	uint32_t hash;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap; /* power of two */
	size_t count;
};

static uint32_t
strmap_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap *map = xcalloc(1, sizeof(*map));

	map->cap = 16;
	map->slots = xcalloc(map->cap, sizeof(*map->slots));
	return map;
}

void
strmap_free(struct strmap **mapp)
{
	struct strmap *map = *mapp;
	size_t i;

	if (map == NULL)
		return;
	for (i = 0; i < map->cap; i++)
		free(map->slots[i].key);
	free(map->slots);
	free(map);
	*mapp = NULL;
}

static size_t
strmap_find(const struct strmap *map, const char *key, uint32_t h)
{
	size_t i = h & (map->cap - 1);

	while (map->slots[i].key != NULL &&
	       (map->slots[i].hash != h || strcmp(map->slots[i].key, key) != 0))
		i = (i + 1) & (map->cap - 1);
	return i;
}

void *
strmap_get(const struct strmap *map, const char *key)
{
	size_t i = strmap_find(map, key, strmap_hash(key));

	return map->slots[i].key != NULL ? map->slots[i].value : NULL;
}

static void
strmap_grow(struct strmap *map)
{
	struct strmap_slot *old = map->slots;
	size_t old_cap = map->cap, i;

	map->cap = xsize_mul(map->cap, 2);
	map->slots = xcalloc(map->cap, sizeof(*map->slots));
	for (i = 0; i < old_cap; i++) {
		if (old[i].key != NULL)
			map->slots[strmap_find(map, old[i].key, old[i].hash)] = old[i];
	}
	free(old);
}

static void
strmap_remove_at(struct strmap *map, size_t i)
{
	size_t j = i;

	free(map->slots[i].key);
	map->slots[i].key = NULL;
	map->count--;
	for (;;) {
		size_t home;

		j = (j + 1) & (map->cap - 1);
		if (map->slots[j].key == NULL)
			return;
		home = map->slots[j].hash & (map->cap - 1);
		/* move j back to i if its home is not in (i, j] cyclically */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			map->slots[i] = map->slots[j];
			map->slots[j].key = NULL;
			i = j;
		}
	}
}

void
strmap_set(struct strmap *map, const char *key, void *value)
{
	uint32_t h = strmap_hash(key);
	size_t i = strmap_find(map, key, h);

	if (map->slots[i].key != NULL) {
		if (value == NULL)
			strmap_remove_at(map, i);
		else
			map->slots[i].value = value;
		return;
	}
	if (value == NULL)
		return;
	if ((map->count + 1) * 4 > map->cap * 3) {
		strmap_grow(map);
		i = strmap_find(map, key, h);
	}
	map->slots[i].key = xstrdup(key);
	map->slots[i].value = value;
	map->slots[i].hash = h;
	map->count++;
}

size_t
strmap_count(const struct strmap *map)
{
	return map->count;
}

void
strmap_foreach(const struct strmap *map, void (*fn)(const char *key, void *value, void *ctx),
	       void *ctx)
{
	size_t i;

	for (i = 0; i < map->cap; i++)
		if (map->slots[i].key != NULL)
			fn(map->slots[i].key, map->slots[i].value, ctx);
}
