/* strmap: a hash map from C strings (copied) to pointers, open addressing with linear
 * probing. For the per-IP connection counts and per-account registries of the servers. */
#ifndef UTIL_STRMAP_H
#define UTIL_STRMAP_H
#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
/* Frees the map and its keys, not the values. */
void strmap_free(struct strmap **map);
void *strmap_get(const struct strmap *map, const char *key);
/* Sets key to value (value NULL removes it). */
void strmap_set(struct strmap *map, const char *key, void *value);
size_t strmap_count(const struct strmap *map);
/* Calls fn for every entry; fn must not modify the map. */
void strmap_foreach(const struct strmap *map, void (*fn)(const char *key, void *value, void *ctx),
		    void *ctx);

#endif
