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
#include "smtp/smtp_mailauth.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
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

/* The client is one greylisting applies to (port 25, not mynetworks, not authenticated);
 * net is its network. */
static bool
greylisted_client(struct smtp_session *s, char *net, size_t size)
{
	struct smtp_guards *g = smtp_server_deps(s->server)->guards;

	return g != NULL && g->settings->greylist && s->kind == SMTP_LISTENER_SMTP &&
	       s->base.conn != NULL && !smtp_session_is_trusted(s) &&
	       client_net(conn_peer(s->base.conn), net, size) == 0;
}

/* "dkim|example.org": a domain whose DKIM signature verified on a message that passed
 * greylisting; remembered as long as a passed triplet. */
static bool
known_signer(struct smtp_guards *g, const char *domain, time_t now)
{
	char *key = xasprintf("dkim|%s", domain);
	bool known;

	str_lower(key);
	known = ttlmap_get(g->greylist, key, now) != NULL;
	free(key);
	return known;
}

static void
remember_signer(struct smtp_guards *g, const char *domain, time_t now)
{
	char *key = xasprintf("dkim|%s", domain);
	struct ttlmap_entry *e;

	str_lower(key);
	e = ttlmap_put(g->greylist, key, now);
	e->a = now;
	e->b = 3;
	e->expires = now + GREYLIST_MAX_AGE;
	greylist_store(g, key, e);
	free(key);
}

bool
smtp_greylist_rcpt(struct smtp_session *s, const char *rcpt)
{
	struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	const struct settings *set = g->settings;
	time_t now = time(NULL);
	struct ttlmap_entry *e;
	char net[80], *key;
	const char *domain;
	bool pass;

	if (!greylisted_client(s, net, sizeof(net)))
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
	} else if (!pass && (domain = strrchr(s->mail_from, '@')) != NULL &&
		   known_signer(g, domain + 1, now)) {
		/* the sender's domain signed mail that passed before: wait for the message's
		 * DKIM verdict (smtp_greylist_end_of_data) rather than refuse it now */
		log_info("smtp: %s: greylist: RCPT from [%s]: from=<%s> to=<%s>: %s signs with "
			 "DKIM, decided at end of data",
			 s->base.id, s->base.ip, s->mail_from, rcpt, domain + 1);
		s->greylist_pending = true;
		pass = true;
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

void
smtp_greylist_end_of_data(struct smtp_session *s)
{
	struct smtp_guards *g = smtp_server_deps(s->server)->guards;
	time_t now = time(NULL);
	const char *domain;
	char net[80], reply[160];

	if (!greylisted_client(s, net, sizeof(net))) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	if (!s->greylist_pending) {
		/* passed greylisting: the domains that signed it are known signers now */
		for (size_t i = 0; (domain = smtp_mailauth_dkim_pass_domain(s, i)) != NULL; i++)
			remember_signer(g, domain, now);
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	for (size_t i = 0; (domain = smtp_mailauth_dkim_pass_domain(s, i)) != NULL; i++) {
		if (known_signer(g, domain, now)) {
			log_info("smtp: %s: greylist skipped: client=[%s] from=<%s>: DKIM pass "
				 "d=%s, a known signer",
				 s->qid, s->base.ip, s->mail_from, domain);
			smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
			return;
		}
	}
	/* no DKIM pass of a known signer: greylisted after all (the triplets were recorded at
	 * RCPT, so the retry passes there) */
	snprintf(reply, sizeof(reply), "451 4.7.1 Greylisted, try again in %u seconds",
		 g->settings->greylist_delay);
	smtp_stage_done(s, SMTP_STAGE_REJECT, reply, "greylist: no DKIM pass of a known signer");
}

void
smtp_greylist_reset(struct smtp_session *s)
{
	s->greylist_pending = false;
}
