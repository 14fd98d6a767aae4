/* Greylisting (greylist = yes; see docs/guards.md): the first delivery attempt of a
 * triplet (client network, sender, recipient) is answered 451 4.7.1 at RCPT; the same
 * triplet retried after greylist_delay passes, and from then on so does every message
 * from that client network for greylist_auto_whitelist. Real MTAs retry (RFC 5321
 * 4.5.4.1); most spam software does not. The network is the client's /24 (IPv4) or /64
 * (IPv6), since big senders retry from another address of the same pool.
 *
 * The tables are in memory (bounded, guard_table_size) and written behind to
 * data_directory/greylist.db (db_kv.h), so a restart keeps them. Only port 25 clients
 * outside mynetworks are greylisted; authenticated clients never are. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "db/db_kv.h"
#include "log/log.h"
#include "net/conn.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_session.h"
#include "util/str.h"
#include "util/ttlmap.h"
#include "util/xmalloc.h"

/* How long a triplet that was not retried is remembered (postgrey's default is 2 days:
 * a retry later than that starts over). */
#define GREYLIST_RETRY_WINDOW (2 * 86400)
/* How long a triplet that passed is remembered after its last pass (postgrey: 35 days). */
#define GREYLIST_MAX_AGE (35 * 86400)

static void
greylist_load_one(const char *key, time_t expires, int64_t a, int64_t b, void *ctx)
{
	struct smtp_guards *g = ctx;
	struct ttlmap_entry *e = ttlmap_put(g->greylist, key, time(NULL));

	e->expires = expires;
	e->a = a;
	e->b = b;
}

int
smtp_greylist_open(struct smtp_guards *g, struct event_base *base, const char **error_r)
{
	char *path = xasprintf("%s/greylist.db", g->settings->data_directory);

	g->greylist_db = db_kv_open(path, base, error_r);
	free(path);
	if (g->greylist_db == NULL)
		return -1;
	return db_kv_load(g->greylist_db, time(NULL), greylist_load_one, g);
}

/* "192.0.2.0/24" or "2001:db8:1:2::/64". */
static int
client_net(const struct sockaddr *sa, char *out, size_t size)
{
	unsigned char a[16] = {0};
	char text[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (!IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)b)) {
			memcpy(a, b, 8);
			inet_ntop(AF_INET6, a, text, sizeof(text));
			snprintf(out, size, "%s/64", text);
			return 0;
		}
		memcpy(a, b + 12, 3);
	} else if (sa->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 3);
	} else {
		return -1;
	}
	inet_ntop(AF_INET, a, text, sizeof(text));
	snprintf(out, size, "%s/24", text);
	return 0;
}

static void
greylist_store(struct smtp_guards *g, const char *key, const struct ttlmap_entry *e)
{
	if (g->greylist_db != NULL)
		db_kv_put(g->greylist_db, key, e->expires, e->a, e->b);
}

bool
smtp_greylist_rcpt(struct smtp_session *s, const char *rcpt)
{
	struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	const struct settings *set = g->settings;
	time_t now = time(NULL);
	struct ttlmap_entry *e;
	char net[80], *key;
	bool pass;

	if (!set->greylist || s->kind != SMTP_LISTENER_SMTP || smtp_session_is_trusted(s) ||
	    client_net(conn_peer(s->base.conn), net, sizeof(net)) < 0)
		return true;
	key = xasprintf("%s|", net);
	if (ttlmap_get(g->greylist, key, now) != NULL) {
		free(key); /* a network that retried before */
		return true;
	}
	free(key);
	key = xasprintf("%s|%s|%s", net, s->mail_from, rcpt);
	str_lower(key);
	e = ttlmap_get(g->greylist, key, now);
	if (e == NULL) {
		e = ttlmap_put(g->greylist, key, now);
		e->a = now;
		e->expires = now + GREYLIST_RETRY_WINDOW;
		greylist_store(g, key, e);
	}
	pass = e->b != 0 || now - (time_t)e->a >= (time_t)set->greylist_delay;
	if (pass && e->b == 0) {
		/* retried after the delay: the triplet and its network pass from now on */
		e->b = 1;
		e->expires = now + GREYLIST_MAX_AGE;
		greylist_store(g, key, e);
		free(key);
		if (set->greylist_auto_whitelist == 0)
			return true;
		key = xasprintf("%s|", net);
		e = ttlmap_put(g->greylist, key, now);
		e->a = now;
		e->b = 2;
		e->expires = now + (time_t)set->greylist_auto_whitelist;
		greylist_store(g, key, e);
		log_info("smtp: %s: client=[%s] greylist passed, network %s whitelisted",
			 s->base.id, s->base.ip, net);
	} else if (!pass) {
		log_info("smtp: %s: greylisted: RCPT from [%s]: from=<%s> to=<%s>", s->base.id,
			 s->base.ip, s->mail_from, rcpt);
		/* RFC 6647 2.1: a temporary failure that a real MTA retries */
		smtp_reply(s,
			   "451 4.7.1 <%s>: Recipient address rejected: Greylisted, try again "
			   "in %u seconds",
			   rcpt, set->greylist_delay);
	}
	free(key);
	return pass;
}
