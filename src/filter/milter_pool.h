/* Idle milter connections kept between SMTP sessions, per milter (docs/filters.md "Reusing
 * milter connections"): a conversation that ended cleanly leaves its connection here instead
 * of saying QUIT, and the next session to the same milter takes it, says SMFIC_QUIT_NC
 * ("quit, a new connection follows", milter protocol 6) and goes on with CONNECT, without
 * connecting or negotiating again. Bounded per milter; an idle connection is closed (QUIT)
 * after its idle timeout, and dropped when the filter closes it or writes anything. All on
 * the loop of the server (one event base). */
#ifndef FILTER_MILTER_POOL_H
#define FILTER_MILTER_POOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct event_base;

/* What the option negotiation of the connection settled, and its socket. */
struct milter_pooled {
	struct conn *conn;
	int fd;   /* the conn's socket (owned by conn) */
	bool tcp; /* inet: TCP_QUICKACK after each read */
	uint32_t version, actions, protocol;
	unsigned sessions; /* the SMTP sessions it served so far */
};

/* Takes the most recently used idle connection to spec on base: true and *out filled (the
 * conn is the caller's now: it sets its ops and timeout), false when there is none. */
bool milter_pool_take(struct event_base *base, const char *spec, struct milter_pooled *out);

/* Keeps pc->conn idle for spec: true (the pool owns it now), or false when spec already has
 * max idle connections (the caller keeps it). idle_timeout in seconds. */
bool milter_pool_put(struct event_base *base, const char *spec, const struct milter_pooled *pc,
		     unsigned max, unsigned idle_timeout);

/* Says QUIT on every idle connection of base and lets it close (the server is stopping:
 * a filter sees the end of the conversation, not a dropped socket). */
void milter_pool_close_all(struct event_base *base);

/* The idle connections to spec now (tests, logs). */
size_t milter_pool_count(const char *spec);

/* Says QUIT on conn (unless quit is false) and closes it once that is written, or after a
 * few seconds at most; conn is gone for the caller. */
void milter_conn_goodbye(struct conn *conn, bool quit);

#endif
