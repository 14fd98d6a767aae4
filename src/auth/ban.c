/* Login bans (see ban.h): failures counted per address in a fixed window that starts at
 * the first failure, bans in a second table, both bounded ttlmaps; bans written behind to
 * bans.db. */
#include "auth/ban.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_kv.h"
#include "log/log.h"
#include "util/ttlmap.h"
#include "util/xmalloc.h"

struct ban {
	unsigned threshold, window_s, ban_s;
	struct ttlmap *failures; /* key -> a = failures, expires = first failure + window */
	struct ttlmap *bans;     /* key -> expires = end of the ban, a = failures */
	struct db_kv *kv;
};

static void
ban_load_one(const char *key, time_t expires, int64_t a, int64_t b, void *ctx)
{
	struct ban *ban = ctx;
	struct ttlmap_entry *e = ttlmap_put(ban->bans, key, time(NULL));

	(void)b;
	e->expires = expires;
	e->a = a;
}

struct ban *
ban_new(unsigned threshold, unsigned window_s, unsigned ban_s, size_t max_entries, struct db_kv *kv)
{
	struct ban *b = xcalloc(1, sizeof(*b));

	b->threshold = threshold > 0 ? threshold : 1;
	b->window_s = window_s;
	b->ban_s = ban_s;
	b->failures = ttlmap_new(max_entries);
	b->bans = ttlmap_new(max_entries);
	b->kv = kv;
	if (kv != NULL)
		db_kv_load(kv, time(NULL), ban_load_one, b);
	return b;
}

void
ban_free(struct ban **bp)
{
	struct ban *b = *bp;

	if (b == NULL)
		return;
	ttlmap_free(&b->failures);
	ttlmap_free(&b->bans);
	db_kv_close(&b->kv);
	free(b);
	*bp = NULL;
}

static int
key_of_bytes(int family, const unsigned char *a, char out[BAN_KEY_MAX])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned char net[16] = {0};

	if (family == AF_INET6 && memcmp(a, mapped, 12) == 0) {
		family = AF_INET;
		a += 12;
	}
	if (family == AF_INET)
		return inet_ntop(AF_INET, a, out, BAN_KEY_MAX) != NULL ? 0 : -1;
	memcpy(net, a, 8); /* the /64: one host usually owns the whole prefix */
	if (inet_ntop(AF_INET6, net, out, BAN_KEY_MAX - 4) == NULL)
		return -1;
	strcat(out, "/64");
	return 0;
}

int
ban_key(const struct sockaddr *sa, char out[BAN_KEY_MAX])
{
	if (sa->sa_family == AF_INET)
		return key_of_bytes(
			AF_INET, (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr,
			out);
	if (sa->sa_family == AF_INET6)
		return key_of_bytes(AF_INET6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
				    out);
	return -1;
}

int
ban_key_of_text(const char *text, char out[BAN_KEY_MAX])
{
	unsigned char a[16];
	char addr[INET6_ADDRSTRLEN];
	size_t len = strlen(text);

	if (len >= 3 && strcmp(text + len - 3, "/64") == 0 && len - 3 < sizeof(addr)) {
		memcpy(addr, text, len - 3);
		addr[len - 3] = '\0';
		text = addr;
	}
	if (inet_pton(AF_INET, text, a) == 1)
		return key_of_bytes(AF_INET, a, out);
	if (inet_pton(AF_INET6, text, a) == 1)
		return key_of_bytes(AF_INET6, a, out);
	return -1;
}

time_t
ban_until(struct ban *b, const struct sockaddr *sa, time_t now)
{
	char key[BAN_KEY_MAX];
	const struct ttlmap_entry *e;

	if (ban_key(sa, key) < 0)
		return 0;
	e = ttlmap_get(b->bans, key, now);
	return e != NULL ? e->expires : 0;
}

bool
ban_fail(struct ban *b, const struct sockaddr *sa, time_t now)
{
	char key[BAN_KEY_MAX];
	struct ttlmap_entry *e;
	unsigned failures;

	if (ban_key(sa, key) < 0 || b->ban_s == 0)
		return false;
	e = ttlmap_put(b->failures, key, now);
	if (e->expires == 0)
		e->expires = now + (time_t)(b->window_s > 0 ? b->window_s : 1);
	failures = (unsigned)++e->a;
	if (failures < b->threshold)
		return false;
	ttlmap_del(b->failures, key, now);
	e = ttlmap_put(b->bans, key, now);
	e->expires = now + (time_t)b->ban_s;
	e->a = failures;
	if (b->kv != NULL)
		db_kv_put(b->kv, key, e->expires, e->a, (int64_t)now);
	log_warn("auth: client=[%s] banned for %us after %u failed logins", key, b->ban_s,
		 failures);
	return true;
}

struct ban_list_ctx {
	void (*fn)(const char *key, time_t until, unsigned failures, void *ctx);
	void *ctx;
};

static void
ban_list_one(const char *key, const struct ttlmap_entry *e, void *ctx)
{
	const struct ban_list_ctx *lc = ctx;

	lc->fn(key, e->expires, (unsigned)e->a, lc->ctx);
}

void
ban_list(struct ban *b, time_t now,
	 void (*fn)(const char *key, time_t until, unsigned failures, void *ctx), void *ctx)
{
	struct ban_list_ctx lc = {fn, ctx};

	ttlmap_foreach(b->bans, now, ban_list_one, &lc);
}

int
ban_del(struct ban *b, const char *text, time_t now)
{
	char key[BAN_KEY_MAX];
	int was;

	if (ban_key_of_text(text, key) < 0)
		return -1;
	ttlmap_del(b->failures, key, now);
	was = ttlmap_del(b->bans, key, now);
	if (b->kv != NULL)
		db_kv_del(b->kv, key);
	if (was)
		log_info("auth: client=[%s] ban lifted", key);
	return was;
}
