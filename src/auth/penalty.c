/* Failed-login delays per client IP: a bounded hash table whose entries are also kept in
 * a list ordered by last failure, so the oldest entry is the one evicted when the table
 * is full and expired entries are dropped from the front in O(1). IPv6 clients are keyed
 * by their /64, since one host usually owns the whole prefix. */
#include "auth/penalty.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ban.h"
#include "util/rand.h"
#include "util/xmalloc.h"

struct penalty_entry {
	unsigned char key[17]; /* family tag + address bytes */
	unsigned failures;
	time_t last;
	struct penalty_entry *hnext;       /* hash chain */
	struct penalty_entry *prev, *next; /* age list, oldest first */
};

struct penalty {
	unsigned base_ms, max_ms, expire_s;
	size_t max_entries, count, n_buckets;
	uint32_t seed;
	struct penalty_entry **buckets;
	struct penalty_entry *oldest, *newest;
	struct ban *ban; /* NULL: no bans */
};

struct penalty *
penalty_new(unsigned base_ms, unsigned max_ms, size_t max_entries, unsigned expire_s)
{
	struct penalty *p = xcalloc(1, sizeof(*p));

	p->base_ms = base_ms;
	p->max_ms = max_ms;
	p->expire_s = expire_s;
	p->max_entries = max_entries > 0 ? max_entries : 1;
	for (p->n_buckets = 16; p->n_buckets < p->max_entries; p->n_buckets *= 2)
		;
	p->buckets = xcalloc(p->n_buckets, sizeof(*p->buckets));
	p->seed = rand_u32();
	return p;
}

void
penalty_free(struct penalty **pp)
{
	struct penalty *p = *pp;

	if (p == NULL)
		return;
	while (p->oldest != NULL) {
		struct penalty_entry *e = p->oldest;
		p->oldest = e->next;
		free(e);
	}
	free(p->buckets);
	ban_free(&p->ban);
	free(p);
	*pp = NULL;
}

size_t
penalty_count(const struct penalty *p)
{
	return p->count;
}

/* 0 ok, -1 for families other than IPv4/IPv6. */
static int
make_key(const struct sockaddr *sa, unsigned char key[17])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, 12) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8); /* the /64 */
		}
	} else {
		return -1;
	}
	return 0;
}

static size_t
bucket_of(const struct penalty *p, const unsigned char key[17])
{
	uint32_t h = 2166136261u ^ p->seed; /* FNV-1a, seeded */

	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (p->n_buckets - 1);
}

static void
list_unlink(struct penalty *p, struct penalty_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		p->oldest = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		p->newest = e->prev;
	e->prev = e->next = NULL;
}

static void
list_append(struct penalty *p, struct penalty_entry *e)
{
	e->prev = p->newest;
	e->next = NULL;
	if (p->newest != NULL)
		p->newest->next = e;
	else
		p->oldest = e;
	p->newest = e;
}

static void
entry_remove(struct penalty *p, struct penalty_entry *e)
{
	struct penalty_entry **pp = &p->buckets[bucket_of(p, e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	list_unlink(p, e);
	free(e);
	p->count--;
}

static void
expire(struct penalty *p, time_t now)
{
	while (p->oldest != NULL && now - p->oldest->last >= (time_t)p->expire_s)
		entry_remove(p, p->oldest);
}

static struct penalty_entry *
lookup(struct penalty *p, const unsigned char key[17])
{
	struct penalty_entry *e = p->buckets[bucket_of(p, key)];

	while (e != NULL && memcmp(e->key, key, 17) != 0)
		e = e->hnext;
	return e;
}

static unsigned
delay_for(const struct penalty *p, unsigned failures)
{
	unsigned long long d = p->base_ms;

	for (unsigned i = 1; i < failures && d < p->max_ms; i++)
		d *= 2;
	return d > p->max_ms ? p->max_ms : (unsigned)d;
}

unsigned
penalty_fail(struct penalty *p, const struct sockaddr *sa, time_t now)
{
	unsigned char key[17];
	struct penalty_entry *e;
	size_t b;

	if (make_key(sa, key) < 0)
		return delay_for(p, 1);
	expire(p, now);
	e = lookup(p, key);
	if (e == NULL) {
		if (p->count >= p->max_entries)
			entry_remove(p, p->oldest);
		e = xcalloc(1, sizeof(*e));
		memcpy(e->key, key, sizeof(key));
		b = bucket_of(p, key);
		e->hnext = p->buckets[b];
		p->buckets[b] = e;
		p->count++;
	} else {
		list_unlink(p, e);
	}
	if (e->failures < 64)
		e->failures++;
	e->last = now;
	list_append(p, e);
	return delay_for(p, e->failures);
}

unsigned
penalty_peek(struct penalty *p, const struct sockaddr *sa, time_t now)
{
	unsigned char key[17];
	struct penalty_entry *e;

	if (make_key(sa, key) < 0)
		return 0;
	expire(p, now);
	e = lookup(p, key);
	return e != NULL ? delay_for(p, e->failures + 1) : 0;
}

void
penalty_success(struct penalty *p, const struct sockaddr *sa)
{
	unsigned char key[17];
	struct penalty_entry *e;

	if (make_key(sa, key) == 0 && (e = lookup(p, key)) != NULL)
		entry_remove(p, e);
}

void
penalty_set_ban(struct penalty *p, struct ban *b)
{
	ban_free(&p->ban);
	p->ban = b;
}

struct ban *
penalty_ban(const struct penalty *p)
{
	return p != NULL ? p->ban : NULL;
}
