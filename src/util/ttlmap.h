/* ttlmap: a bounded map from C strings to small records that expire, for the abuse guards
 * (login bans, rate counters, greylisting triplets, pregreet offenders). An entry is gone
 * once now >= its `expires`. When the map is full, expired entries are dropped first, then
 * the entry that expires soonest: the table never grows past its bound, whatever a client
 * sends; a full map makes room for a sixteenth of its bound at once (the entries that
 * expire soonest), so that a stream of new keys costs O(log n) each. Not thread-safe: one thread
 * (the event loop) uses a map. */
#ifndef UTIL_TTLMAP_H
#define UTIL_TTLMAP_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ttlmap;

struct ttlmap_entry {
	time_t expires; /* gone when now >= expires */
	int64_t a, b;   /* the user's counters or times */
};

/* max_entries > 0 (0 is taken as 1). */
struct ttlmap *ttlmap_new(size_t max_entries);
void ttlmap_free(struct ttlmap **map);
/* The live entry of key, or NULL (an expired one is removed). Valid until the next call
 * that changes the map. */
struct ttlmap_entry *ttlmap_get(struct ttlmap *map, const char *key, time_t now);
/* The live entry of key, created zeroed (expires 0: set it) if absent, evicting as above
 * when the map is full. Set expires before the next put: an entry with expires 0 counts
 * as expired. */
struct ttlmap_entry *ttlmap_put(struct ttlmap *map, const char *key, time_t now);
/* Removes key; 1 if it was there (live), 0 if not. */
int ttlmap_del(struct ttlmap *map, const char *key, time_t now);
/* Entries, expired ones included until they are dropped. */
size_t ttlmap_count(const struct ttlmap *map);
/* Calls fn for every live entry; fn must not change the map. */
void ttlmap_foreach(struct ttlmap *map, time_t now,
		    void (*fn)(const char *key, const struct ttlmap_entry *e, void *ctx),
		    void *ctx);

#endif
