/* DNS answer cache: a strmap from "type/name" to entries, which also sit on a list in
 * order of use; the tail is dropped when the cache is full. See dns_cache.h. */
#include "dns/dns_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

struct dns_cache_entry {
	struct dns_cache_entry *prev, *next; /* most recently used first */
	char *key;
	enum dns_status status;
	struct dns_rr *rrs;
	size_t n;
	uint64_t expires;
};

struct dns_cache {
	struct strmap *map;
	struct dns_cache_entry *head, *tail;
	size_t count, max;
	dns_cache_clock *clock;
	void *clock_ctx;
};

static uint64_t
dns_cache_monotonic(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

struct dns_cache *
dns_cache_new(size_t max_entries, dns_cache_clock *clock, void *clock_ctx)
{
	struct dns_cache *cache = xcalloc(1, sizeof(*cache));

	cache->map = strmap_new();
	cache->max = max_entries;
	cache->clock = clock != NULL ? clock : dns_cache_monotonic;
	cache->clock_ctx = clock_ctx;
	return cache;
}

static void
dns_cache_unlink(struct dns_cache *cache, struct dns_cache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		cache->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		cache->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
dns_cache_push_front(struct dns_cache *cache, struct dns_cache_entry *e)
{
	e->prev = NULL;
	e->next = cache->head;
	if (cache->head != NULL)
		cache->head->prev = e;
	cache->head = e;
	if (cache->tail == NULL)
		cache->tail = e;
}

static void
dns_cache_remove(struct dns_cache *cache, struct dns_cache_entry *e)
{
	size_t i;

	dns_cache_unlink(cache, e);
	strmap_set(cache->map, e->key, NULL);
	for (i = 0; i < e->n; i++)
		free(e->rrs[i].data);
	free(e->rrs);
	free(e->key);
	free(e);
	cache->count--;
}

void
dns_cache_free(struct dns_cache **cachep)
{
	struct dns_cache *cache = *cachep;

	if (cache == NULL)
		return;
	*cachep = NULL;
	while (cache->head != NULL)
		dns_cache_remove(cache, cache->head);
	strmap_free(&cache->map);
	free(cache);
}

void
dns_cache_set_size(struct dns_cache *cache, size_t max_entries)
{
	cache->max = max_entries;
	while (cache->count > cache->max)
		dns_cache_remove(cache, cache->tail);
}

size_t
dns_cache_count(const struct dns_cache *cache)
{
	return cache->count;
}

static char *
dns_cache_key(unsigned type, const char *name)
{
	size_t len = strlen(name);
	char *key;

	if (len > 0 && name[len - 1] == '.')
		len--;
	key = xasprintf("%u/%.*s", type, (int)len, name);
	str_lower(key);
	return key;
}

int
dns_cache_get(struct dns_cache *cache, unsigned type, const char *name, enum dns_status *status_r,
	      const struct dns_rr **rrs_r, size_t *n_r)
{
	char *key = dns_cache_key(type, name);
	struct dns_cache_entry *e = strmap_get(cache->map, key);

	free(key);
	if (e == NULL)
		return 0;
	if (cache->clock(cache->clock_ctx) >= e->expires) {
		dns_cache_remove(cache, e);
		return 0;
	}
	dns_cache_unlink(cache, e);
	dns_cache_push_front(cache, e);
	*status_r = e->status;
	*rrs_r = e->rrs;
	*n_r = e->n;
	return 1;
}

void
dns_cache_put(struct dns_cache *cache, unsigned type, const char *name, enum dns_status status,
	      const struct dns_rr *rrs, size_t n, uint32_t ttl)
{
	struct dns_cache_entry *e;
	char *key;
	size_t i;

	if (status == DNS_TEMPFAIL || ttl == 0 || cache->max == 0)
		return;
	if (ttl > DNS_CACHE_MAX_TTL)
		ttl = DNS_CACHE_MAX_TTL;
	key = dns_cache_key(type, name);
	e = strmap_get(cache->map, key);
	if (e != NULL)
		dns_cache_remove(cache, e);
	e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->status = status;
	e->expires = cache->clock(cache->clock_ctx) + ttl;
	if (status == DNS_OK && n > 0) {
		e->rrs = xcalloc(n, sizeof(*e->rrs));
		for (i = 0; i < n; i++) {
			e->rrs[i].data = xmalloc(rrs[i].len + 1);
			memcpy(e->rrs[i].data, rrs[i].data, rrs[i].len);
			e->rrs[i].data[rrs[i].len] = '\0';
			e->rrs[i].len = rrs[i].len;
		}
		e->n = n;
	}
	strmap_set(cache->map, key, e);
	dns_cache_push_front(cache, e);
	cache->count++;
	while (cache->count > cache->max)
		dns_cache_remove(cache, cache->tail);
}
