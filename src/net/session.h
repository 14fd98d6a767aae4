/* struct session: what every protocol session (SMTP, POP3, IMAP) is made of, embedded as
 * the FIRST member of smtp_session, pop3_session and imap_session: the connection, the
 * id and client address for logs and limits, the error count, the lifetime across
 * asynchronous steps, and the server's list entry. The protocol fills a session_ops
 * table; the base does the rest the same way for all three:
 *
 *   accept -> limits -> ops->greeting        (server.c; ops->too_many past a limit)
 *   input, drain, TLS ready -> ops->input... (one struct conn_ops for all)
 *   reply lines, error limit                 session_printf(), session_error()
 *   async step: begin / done                 session_async_begin(), session_async_done()
 *   idle timeout -> ops->timeout -> close    (login_timeout first, then the protocol's)
 *   connection gone -> ops->closed -> free   (one on_close, one set of reason names)
 *   shutdown: busy sessions finish their command, then ops->shutdown says goodbye.
 *
 * Callbacks run from the loop only (see conn.h), never inside a session_* call. */
#ifndef NET_SESSION_H
#define NET_SESSION_H
#include <stdarg.h>
#include <stdbool.h>
#include <sys/queue.h>

#include "net/conn.h"

struct server;
struct session;

struct session_ops {
	const char *proto; /* "smtp", "pop3", "imap": log prefix */
	/* Creates the protocol session around conn (calling session_init()); its server
	 * data is server_owner(srv); kind is the listen list's (struct server_listen). */
	struct session *(*create)(struct server *srv, struct conn *conn, unsigned kind);
	/* Frees the protocol session (its part, then session_free_base()). */
	void (*free)(struct session *s);
	/* The greeting after the limits were checked. */
	void (*greeting)(struct session *s);
	/* Reply lines (printf formats that may use one %s: the server's hostname) when a
	 * connection limit is reached, at shutdown, and when the idle timeout fires (NULL:
	 * close without a line). The base closes the session after each. */
	const char *too_many, *shutdown, *timeout;
	const char *too_many_per_ip; /* per client address limit (NULL: too_many) */
	const char *too_many_errors; /* past server_params.max_errors (session_error) */
	/* Whether a command is in flight besides an async step (pending): part of it read,
	 * a delivery or a reply being streamed: shutdown waits for it to finish. */
	bool (*busy)(const struct session *s);
	/* The connection is gone: release what needs the connection (streams, subscriptions)
	 * and return a note for the disconnect log line ("" for none). */
	const char *(*closed)(struct session *s);
	/* The names of the protocol's states (enum values index it), for logs. */
	const char *const *state_names;
	/* Connection events (conn.h): new input; the output drained (optional); the TLS
	 * handshake completed (optional). */
	void (*input)(struct session *s);
	void (*drain)(struct session *s);
	void (*tls_ready)(struct session *s);
};

struct session {
	TAILQ_ENTRY(session) entry; /* the server's list of sessions */
	const struct session_ops *ops;
	struct server *server;
	struct conn *conn; /* NULL once the connection is gone */
	char id[17];       /* session id for logs */
	char *ip;          /* client address text, for limits and logs */
	unsigned state;    /* the protocol's enum: session_enter_state() only */
	unsigned errors;   /* error replies so far (session_count_error) */
	unsigned pending;  /* asynchronous steps in flight */
	bool conn_gone;    /* freed when the last pending step completes */
	bool closing;      /* session_close() was called */
	bool timed_out;    /* closed by the idle timeout (for the log) */
	bool listed;       /* in the server's list */
	bool counted;      /* counted in its connection limits (server_session_uncount) */
	unsigned mproto;   /* its listener's enum metrics_proto (connection counts) */
};

/* Sets up the base: id, ip, ops; conn's events go to ops. The idle timeout is timeout
 * seconds (login_first: the shorter login_timeout until session_logged_in). */
void session_init(struct session *s, struct server *server, struct conn *conn,
		  const struct session_ops *ops, unsigned timeout, bool login_first);
/* Frees what session_init allocated and the connection. */
void session_free_base(struct session *s);
/* After login: the protocol's own idle timeout replaces the login timeout. */
void session_logged_in(struct session *s, unsigned timeout);

/* Every state change of every protocol goes through here (logged at debug level). */
void session_enter_state(struct session *s, unsigned state);

/* Writes prefix, the formatted text and CRLF; nothing once closing or gone. */
void session_vprintf(struct session *s, const char *prefix, const char *fmt, va_list ap);
void session_printf(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void session_write(struct session *s, const void *data, size_t len);
/* Counts an error reply; past the server's max_errors, logs, sends ops->too_many_errors
 * and closes: true then. */
bool session_count_error(struct session *s);
/* An error reply line: session_printf() then session_count_error(). */
void session_error(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes after the queued output is sent. */
void session_close(struct session *s);
/* Whether the session is closing or its connection is gone. */
bool session_is_closing(const struct session *s);

/* An asynchronous step starts: input is paused (the step's reply comes first). */
void session_async_begin(struct session *s);
/* The step completed. false: the connection went away meanwhile and, if this was the
 * last step, the session is freed: the caller must not touch it. */
bool session_async_done(struct session *s);
/* At the end of a command (or after an async step's reply): if the server is shutting
 * down, says goodbye and closes; true when it did (stop reading). */
bool session_check_shutdown(struct session *s);
/* In flight: an async step, ops->busy, or the last reply still flushing. */
bool session_busy(const struct session *s);

#endif
