/* The guards against abuse and overload on the SMTP side (docs/guards.md), internal to
 * src/smtp. One struct smtp_guards per server, made by serve (smtp_server_deps.guards),
 * holds the bounded tables; a session in its pre-greeting wait holds a struct
 * smtp_guard_conn (s->guard).
 *
 *   connect (port 25, not mynetworks) smtp_guard_connect():
 *       address remembered for talking early   -> 421 4.7.0, close
 *       over smtpd_client_connection_rate_limit -> 421 4.7.0, close
 *       DNSBL lookups (smtp_dnsbl.c) and the greeting delay run; the greeting waits for
 *       both (the lookups at most dnsbl_timeout; a DNS failure lets the client in).
 *       Input before the greeting (with a delay set) -> 554 5.5.1, remembered, close.
 *       A reject zone lists the client -> 554 5.7.1 with the list's TXT reason, close.
 *   MAIL (authenticated) smtp_guard_mail():  submission_rate_limit messages -> 450 4.7.1
 *   RCPT smtp_guard_rcpt():   submission_rate_limit recipients -> 450 4.7.1, then
 *       greylisting (port 25, untrusted clients; smtp_greylist.c) -> 451 4.7.1 */
#ifndef SMTP_SMTP_GUARD_H
#define SMTP_SMTP_GUARD_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

struct db_kv;
struct dns;
struct dns_query;
struct event;
struct event_base;
struct settings;
struct smtp_session;
struct ttlmap;

/* A DNSBL zone of dnsbl_zones. */
struct smtp_dnsbl_zone {
	char *name;
	bool reject; /* listed: refuse the client; else add weight to s->dnsbl_score */
	unsigned weight;
};

struct smtp_guards {
	const struct settings *settings;
	struct smtp_dnsbl_zone *zones;
	size_t n_zones;
	struct ttlmap *pregreet;   /* address -> remembered until expires */
	struct ttlmap *conn_rate;  /* address -> a = connections in the minute */
	struct ttlmap *submission; /* account -> a = messages, b = recipients in the hour */
	struct ttlmap *greylist;   /* "net|sender|rcpt" -> a = first seen, b = passed;
				      "net|" -> a whitelisted net */
	struct db_kv *greylist_db; /* data_directory/greylist.db, NULL when greylist = no */
};

/* The state of a session waiting for its greeting (DNSBL lookups, greeting delay). */
struct smtp_dnsbl_lookup;
struct smtp_guard_conn {
	struct event *delay_ev;            /* smtpd_greet_delay, NULL when none or passed */
	struct event *timeout_ev;          /* dnsbl_timeout */
	struct smtp_dnsbl_lookup *lookups; /* one per zone (n_zones) */
	unsigned lookups_pending;
	bool starting;       /* the lookups are being started (callbacks may run inside) */
	char *reject_zone;   /* a reject zone that lists the client */
	char *reject_reason; /* its TXT, when known */
};

/* NULL with *error_r when greylist.db cannot be opened. base: for its writer thread. */
struct smtp_guards *smtp_guards_new(const struct settings *set, struct event_base *base,
				    const char **error_r);
void smtp_guards_free(struct smtp_guards **g);

/* Instead of the greeting: the connect checks; greets now or later (smtp_session_greet). */
void smtp_guard_connect(struct smtp_session *s);
/* Input arrived: true when the session is still before its greeting (the input is then
 * held, or the client is refused for talking early). */
bool smtp_guard_input(struct smtp_session *s);
/* Frees the pre-greeting state (cancels timers and lookups). */
void smtp_guard_session_free(struct smtp_session *s);
/* MAIL / RCPT: false when refused (the reply is sent). */
bool smtp_guard_mail(struct smtp_session *s);
bool smtp_guard_rcpt(struct smtp_session *s, const char *rcpt);

/* Inside src/smtp's guard files. */
bool smtp_ratelimit_connect(struct smtp_guards *g, const char *ip, time_t now);
bool smtp_ratelimit_mail(struct smtp_session *s);
bool smtp_ratelimit_rcpt(struct smtp_session *s);
bool smtp_greylist_rcpt(struct smtp_session *s, const char *rcpt);
/* The "greylist" stage (smtp_stage.h): a message whose greylisting was postponed passes
 * with a DKIM pass of a domain known to sign, else 451 4.7.1; a message that passed
 * greylisting teaches its DKIM-pass domains. */
void smtp_greylist_end_of_data(struct smtp_session *s);
void smtp_greylist_reset(struct smtp_session *s);
int smtp_greylist_open(struct smtp_guards *g, struct event_base *base, const char **error_r);
/* Starts the lookups of every zone; smtp_guard_dnsbl_done() when all are in. */
void smtp_dnsbl_start(struct smtp_session *s);
void smtp_dnsbl_cancel(struct smtp_session *s);
void smtp_guard_dnsbl_done(struct smtp_session *s);
/* "4.3.2.1" for 1.2.3.4; IPv6 as 32 reversed nibbles; -1 for other families. */
int smtp_dnsbl_reverse(const struct sockaddr *sa, char *out, size_t size);

#endif
