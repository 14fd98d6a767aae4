/* The idle milter connections (see milter_pool.h). A list: a server has a few milters and
 * at most milter_idle_connections idle connections each, so a walk is cheap. */
#include "filter/milter_pool.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "mail/milter_proto.h"
#include "net/conn.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* a connection that is only said goodbye to is closed after this long at most */
#define MILTER_QUIT_TIMEOUT 5

struct idle {
	struct idle *prev, *next;
	struct event_base *base;
	char *spec;
	struct milter_pooled pc;
};

static struct idle *idle_head; /* most recently put first */

/* ---- goodbye: the connection outlives its owner just long enough to send QUIT ---- */

static void
bye_input(struct conn *conn, void *ctx)
{
	struct evbuffer *in = conn_input(conn);

	(void)ctx;
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
bye_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	(void)ctx;
	(void)reason;
	conn_free(&conn);
}

static const struct conn_ops bye_ops = {.on_input = bye_input, .on_close = bye_close};

void
milter_conn_goodbye(struct conn *conn, bool quit)
{
	struct buf b = BUF_INIT;

	if (quit) {
		milter_put_cmd(&b, MILTER_CMD_QUIT);
		conn_write(conn, b.data, b.len);
		buf_free(&b);
	}
	conn_set_ctx(conn, &bye_ops, NULL);
	conn_set_timeout(conn, MILTER_QUIT_TIMEOUT);
	conn_close_after_flush(conn);
}

/* ---- the idle list ---- */

static void
unlink_idle(struct idle *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		idle_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	free(e->spec);
	free(e);
}

/* An idle connection speaks only when something is wrong (the protocol has the MTA speak
 * first): it is not reused. */
static void
idle_input(struct conn *conn, void *ctx)
{
	unlink_idle(ctx);
	milter_conn_goodbye(conn, true);
}

/* The filter closed it (or it failed) while idle. */
static void
idle_close(struct conn *conn, void *ctx, enum conn_close_reason reason)
{
	(void)reason;
	unlink_idle(ctx);
	conn_free(&conn);
}

/* Idle for milter_idle_timeout: QUIT, as a conversation that ends does. */
static bool
idle_timeout(struct conn *conn, void *ctx)
{
	unlink_idle(ctx);
	milter_conn_goodbye(conn, true);
	return false;
}

static const struct conn_ops idle_ops = {
	.on_input = idle_input, .on_close = idle_close, .on_timeout = idle_timeout};

bool
milter_pool_take(struct event_base *base, const char *spec, struct milter_pooled *out)
{
	for (struct idle *e = idle_head; e != NULL; e = e->next) {
		if (e->base != base || strcmp(e->spec, spec) != 0)
			continue;
		*out = e->pc;
		unlink_idle(e);
		return true;
	}
	return false;
}

void
milter_pool_close_all(struct event_base *base)
{
	struct idle *next;

	for (struct idle *e = idle_head; e != NULL; e = next) {
		struct conn *conn = e->pc.conn;

		next = e->next;
		if (e->base != base)
			continue;
		unlink_idle(e);
		milter_conn_goodbye(conn, true);
	}
}

size_t
milter_pool_count(const char *spec)
{
	size_t n = 0;

	for (struct idle *e = idle_head; e != NULL; e = e->next)
		n += strcmp(e->spec, spec) == 0;
	return n;
}

bool
milter_pool_put(struct event_base *base, const char *spec, const struct milter_pooled *pc,
		unsigned max, unsigned idle_timeout_s)
{
	struct idle *e;

	if (milter_pool_count(spec) >= max)
		return false;
	e = xcalloc(1, sizeof(*e));
	e->base = base;
	e->spec = xstrdup(spec);
	e->pc = *pc;
	e->next = idle_head;
	if (idle_head != NULL)
		idle_head->prev = e;
	idle_head = e;
	conn_set_ctx(pc->conn, &idle_ops, e);
	conn_set_timeout(pc->conn, idle_timeout_s);
	return true;
}
