/* The POP3 server's own data on the shared server base (listeners, connection limits,
 * session list, shutdown: net/server.h): pop3_listen (STLS) and pop3s_listen
 * (implicit TLS). */
#include "pop3/pop3_server.h"

#include <string.h>

#include "conf/settings.h"
#include "net/server.h"
#include "pop3/pop3_session.h"

struct pop3_server {
	const struct pop3_server_deps *deps;
};

const struct pop3_server_deps *
pop3_server_deps(const struct pop3_server *server)
{
	return server->deps;
}

/* The server's parameters and listen lists from set (at start, and at a reload). */
static void
pop3_server_config(const struct pop3_server_deps *deps, const struct settings *set,
		   struct server_params *params_r, struct server_listen *lists_r)
{
	const struct server_params params = {
		.base = deps->base,
		.ops = &pop3_session_ops,
		.owner_size = sizeof(struct pop3_server),
		.max_connections = set->pop3_max_connections,
		.max_per_ip = set->max_connections_per_ip,
		.max_errors = 20, /* unknown commands, bad arguments */
		.login_timeout = set->login_timeout,
		.hostname = set->myhostname,
		.tls = &deps->tls,
	};
	const struct server_listen lists[] = {
		{&set->pop3_listen, POP3_LISTENER_PLAIN, false, "pop3_listen"},
		{&set->pop3s_listen, POP3_LISTENER_TLS, true, "pop3s_listen"},
	};

	*params_r = params;
	memcpy(lists_r, lists, sizeof(lists));
}

struct server *
pop3_server_new(const struct pop3_server_deps *deps, const char **error_r)
{
	struct server_params params;
	struct server_listen lists[2];
	struct server *srv;

	pop3_server_config(deps, deps->settings, &params, lists);
	srv = server_open(&params, lists, 2, error_r);
	if (srv != NULL)
		((struct pop3_server *)server_owner(srv))->deps = deps;
	return srv;
}

int
pop3_server_reload_prepare(struct server *srv, const struct settings *fresh, const char **error_r)
{
	const struct pop3_server *server = server_owner(srv);
	struct server_params params;
	struct server_listen lists[2];

	pop3_server_config(server->deps, fresh, &params, lists);
	return server_reload_prepare(srv, &params, lists, 2, error_r);
}
