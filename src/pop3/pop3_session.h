/* One POP3 session (internal to src/pop3): states of RFC 1939 3, the maildrop snapshot
 * taken at login, and the streaming of RETR/TOP. */
#ifndef POP3_POP3_SESSION_H
#define POP3_POP3_SESSION_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "net/session.h"
#include "pop3/pop3_server.h"
#include "util/buf.h"

struct conn;
struct store_account;
struct store_view;

enum pop3_state {
	POP3_STATE_AUTHORIZATION,
	POP3_STATE_TRANSACTION,
	POP3_STATE_WAIT, /* password check or streaming in progress: input paused */
	POP3_STATE_CLOSING,
};

enum pop3_listener_kind { POP3_LISTENER_PLAIN, POP3_LISTENER_TLS };

struct pop3_msg {
	uint32_t uid;
	uint64_t size;
	bool deleted;
};

/* A RETR or TOP being sent: the file is read in chunks as the output drains. */
struct pop3_stream {
	int fd;
	uint64_t offset, size;
	bool top; /* TOP: stop after the header and `lines` body lines */
	unsigned long lines;
	bool in_body;
	bool line_start; /* the next byte starts a line (dot-stuffing, RFC 1939 3) */
	size_t line_len; /* bytes of the current line so far (TOP: empty line test) */
	bool first_cr;   /* the current line starts with CR */
};

struct pop3_session {
	struct session base; /* first: id, ip, conn, errors, async lifetime */
	struct pop3_server *server;
	enum pop3_state resume_state; /* the state to return to after WAIT */
	struct buf line;
	char *user;      /* USER argument */
	char *sasl_mech; /* AUTH in progress (continuation expected) */
	/* after login */
	char *account;
	struct store_account *acct;
	struct store_view *view;
	bool locked;
	struct pop3_msg *msgs;
	unsigned n_msgs;
	unsigned n_deleted; /* QUIT: expunged, waiting for store_account_sync */
	uint32_t uidvalidity;
	struct pop3_stream stream;
	bool streaming;
};

struct pop3_server;
const struct pop3_server_deps *pop3_server_deps(const struct pop3_server *server);

/* The session_ops of POP3 sessions (pop3_session.c). */
extern const struct session_ops pop3_session_ops;
/* Every state change goes through here (logged at debug level). */
static inline void
pop3_session_enter_state(struct pop3_session *s, enum pop3_state state)
{
	session_enter_state(&s->base, state);
}
#define pop3_reply(s, ...) session_printf(&(s)->base, __VA_ARGS__)
/* -ERR reply counting towards the error limit; past it the session is closed. */
#define pop3_reply_err(s, ...) session_error(&(s)->base, __VA_ARGS__)
void pop3_session_close(struct pop3_session *s);
void pop3_session_command(struct pop3_session *s, const char *line, size_t len);
/* Asynchronous steps (password check, streaming): input is paused meanwhile. */
void pop3_session_async_begin(struct pop3_session *s);
bool pop3_session_async_done(struct pop3_session *s);
void pop3_session_resume(struct pop3_session *s);
/* Logs in as account (password verified): locks the maildrop and takes the snapshot. */
void pop3_session_login(struct pop3_session *s, const char *account);
/* SASL / USER-PASS checks (pop3_auth.c). */
bool pop3_auth_plaintext_allowed(const struct pop3_session *s);
void pop3_auth_check(struct pop3_session *s, char *user, char *password);
void pop3_auth_continue(struct pop3_session *s, const char *line);
/* RETR/TOP streaming (pop3_retr.c). */
void pop3_retr_start(struct pop3_session *s, unsigned num, bool top, unsigned long lines);
void pop3_retr_continue(struct pop3_session *s);
void pop3_retr_abort(struct pop3_session *s);

#endif
