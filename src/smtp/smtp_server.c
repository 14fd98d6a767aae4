/* The SMTP server object: its three listener kinds on the shared server base (listeners,
 * connection limits, session list, shutdown: net/server.h) and the message memory
 * total of its sessions. */
#include "smtp/smtp_server.h"

#include <stdlib.h>

#include "conf/settings.h"
#include "net/server.h"
#include "smtp/smtp_session.h"
#include "util/xmalloc.h"

struct smtp_server {
	const struct smtp_server_deps *deps; /* serve's, may be completed after binding */
	struct server *base;
	unsigned long long msg_memory; /* message data held by the sessions */
};

const struct smtp_server_deps *
smtp_server_deps(const struct smtp_server *server)
{
	return server->deps;
}

SSL_CTX *
smtp_server_tls(const struct smtp_server *server)
{
	return server->deps->tls;
}

struct server *
smtp_server_base(const struct smtp_server *server)
{
	return server->base;
}

unsigned long long
smtp_server_memory_add(struct smtp_server *server, long long delta)
{
	server->msg_memory = (unsigned long long)((long long)server->msg_memory + delta);
	return server->msg_memory;
}

bool
smtp_server_busy(const struct smtp_server *server)
{
	return server != NULL && server_busy(server->base);
}

struct smtp_server *
smtp_server_new(const struct smtp_server_deps *deps, const char **error_r)
{
	struct smtp_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;
	/* SMTP has no login before mail: RFC 5321 4.5.3.2 gives the server at least
	 * 5 minutes in every state, so smtp_timeout applies from the start */
	struct server_params params = {
		.base = deps->base,
		.ops = &smtp_session_ops,
		.owner = server,
		.max_connections = set->smtp_max_connections,
		.max_per_ip = set->smtp_max_connections_per_ip,
		.login_timeout = 0,
	};

	server->deps = deps;
	server->base = server_new(&params);
	if (set->submissions_listen.n > 0 && deps->tls == NULL) {
		*error_r = "submissions_listen needs TLS, but no certificate is loaded";
		smtp_server_free(&server);
		return NULL;
	}
	if (server_listen(server->base, &set->smtp_listen, SMTP_LISTENER_SMTP, NULL, error_r) < 0 ||
	    server_listen(server->base, &set->submission_listen, SMTP_LISTENER_SUBMISSION, NULL,
			  error_r) < 0 ||
	    server_listen(server->base, &set->submissions_listen, SMTP_LISTENER_SUBMISSIONS,
			  &deps->tls, error_r) < 0) {
		smtp_server_free(&server);
		return NULL;
	}
	return server;
}

void
smtp_server_shutdown(struct smtp_server *server)
{
	server_shutdown(server->base);
}

void
smtp_server_free(struct smtp_server **serverp)
{
	struct smtp_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	server_free(&server->base);
	free(server);
}
