/* The control socket: data_directory/control.sock, a unix stream socket of mode 0600
 * owned by the user the server runs as, through which `yubin status` and `yubin queue`
 * talk to the running server instead of sending signals.
 *
 * Protocol: the client sends one request line (at most CONTROL_LINE_MAX octets with its
 * LF); the server answers with lines in the SMTP style, "CODE-text" for every line but
 * the last and "CODE text" for the last (2xx done, 5xx refused), then closes. Requests:
 *   status        uptime, listeners, sessions per protocol, queue, certificate expiry
 *   queue flush   re-read the queue index, retry deferred mail now (as SIGUSR1)
 *   ban list      the login bans: "ADDRESS until UNIXTIME failures N" per line
 *   ban del ADDR  lift a login ban (250-style 200 when it was banned, 550 when not)
 *   reload        load the config again, as SIGHUP (200; 550 with the error: the running
 *                 config stays) */
#ifndef CLI_CONTROL_H
#define CLI_CONTROL_H
#include <openssl/ssl.h>
#include <stdbool.h>
#include <time.h>

struct buf;
struct event_base;
struct penalty;
struct queue;
struct server;
struct settings;

#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_LINE_MAX 512
/* A reply longer than this is refused by the client (the status reply is about 1 KiB). */
#define CONTROL_REPLY_MAX (1024 * 1024)
/* Seconds a client may take to send its request, and the CLI to wait for the reply. */
#define CONTROL_TIMEOUT 10

/* What the server shows and acts on; every pointer must outlive the control socket.
 * tls points at serve's SSL_CTX pointer, which a reload replaces. */
struct control_deps {
	struct event_base *base;
	const struct settings *settings;
	struct server *smtp, *pop3, *imap;
	struct queue *queue;
	struct penalty *penalty; /* its login bans (auth/ban.h), may be NULL */
	SSL_CTX *const *tls;
	/* reloads the config: 0, or -1 with *error_r (serve.c); NULL = no reload */
	int (*reload)(void *ctx, const char **error_r);
	void *reload_ctx;
	struct acme_client *const *acme; /* acme = yes: its state on a status line */
	time_t started;
};

struct control;
struct acme_client;

/* Binds data_directory/control.sock (replacing a stale one), mode 0600. NULL with
 * *error_r (static or thread-local text). */
struct control *control_new(const struct control_deps *deps, const char **error_r);
/* Closes the socket and its clients and removes the socket file. */
void control_free(struct control **c);

/* The client side: sends line to the server of data_dir and collects the reply lines
 * (without their codes, each ending in LF) in reply_r. Returns the reply's code (200,
 * 500...), or -1 with *error_r when no server answers (not running: ENOENT/ECONNREFUSED
 * give *no_server_r = true). */
int control_request(const char *data_dir, const char *line, struct buf *reply_r, bool *no_server_r,
		    const char **error_r);

#endif
