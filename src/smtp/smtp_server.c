/* The SMTP server's own data on the shared server base (listeners, connection limits,
 * session list, shutdown: net/server.h): its dependencies and the message memory total
 * of its sessions. */
#include "smtp/smtp_server.h"

#include <string.h>

#include "conf/settings.h"
#include "net/server.h"
#include "smtp/smtp_session.h"

struct smtp_server {
	const struct smtp_server_deps *deps; /* serve's, may be completed after binding */
	unsigned long long msg_memory;       /* message data held by the sessions */
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

unsigned long long
smtp_server_memory_add(struct smtp_server *server, long long delta)
{
	server->msg_memory = (unsigned long long)((long long)server->msg_memory + delta);
	return server->msg_memory;
}

/* The server's parameters and listen lists from set (at start, and at a reload). */
static void
smtp_server_config(const struct smtp_server_deps *deps, const struct settings *set,
		   struct server_params *params_r, struct server_listen *lists_r)
{
	/* SMTP has no login before mail: RFC 5321 4.5.3.2 gives the server at least
	 * 5 minutes in every state, so smtp_timeout applies from the start */
	const struct server_params params = {
		.base = deps->base,
		.ops = &smtp_session_ops,
		.owner_size = sizeof(struct smtp_server),
		.max_connections = set->smtp_max_connections,
		.max_per_ip = set->smtp_max_connections_per_ip,
		.max_errors = set->smtp_max_errors,
		.hostname = set->myhostname,
		.tls = &deps->tls,
	};
	const struct server_listen lists[] = {
		{&set->smtp_listen, SMTP_LISTENER_SMTP, false, "smtp_listen"},
		{&set->submission_listen, SMTP_LISTENER_SUBMISSION, false, "submission_listen"},
		{&set->submissions_listen, SMTP_LISTENER_SUBMISSIONS, true, "submissions_listen"},
	};

	*params_r = params;
	memcpy(lists_r, lists, sizeof(lists));
}

struct server *
smtp_server_new(const struct smtp_server_deps *deps, const char **error_r)
{
	struct server_params params;
	struct server_listen lists[3];
	struct server *srv;

	smtp_server_config(deps, deps->settings, &params, lists);
	srv = server_open(&params, lists, 3, error_r);
	if (srv != NULL)
		((struct smtp_server *)server_owner(srv))->deps = deps;
	return srv;
}

int
smtp_server_reload_prepare(struct server *srv, const struct settings *fresh, const char **error_r)
{
	const struct smtp_server *server = server_owner(srv);
	struct server_params params;
	struct server_listen lists[3];

	smtp_server_config(server->deps, fresh, &params, lists);
	return server_reload_prepare(srv, &params, lists, 3, error_r);
}
