/* The IMAP server's own data on the shared server base (listeners, connection limits,
 * session list, shutdown: net/server.h): imap_listen (STARTTLS) and imaps_listen
 * (implicit TLS). */
#include "imap/imap_server.h"

#include <string.h>

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "net/server.h"

struct imap_server {
	const struct imap_server_deps *deps;
	unsigned long long literal_memory; /* imap_literal.h */
};

const struct imap_server_deps *
imap_server_deps(const struct imap_server *server)
{
	return server->deps;
}

unsigned long long
imap_server_literal_memory_add(struct imap_server *server, long long delta)
{
	server->literal_memory = (unsigned long long)((long long)server->literal_memory + delta);
	return server->literal_memory;
}

/* The server's parameters and listen lists from set (at start, and at a reload). */
static void
imap_server_config(const struct imap_server_deps *deps, const struct settings *set,
		   struct server_params *params_r, struct server_listen *lists_r)
{
	const struct server_params params = {
		.base = deps->base,
		.ops = &imap_session_ops,
		.owner_size = sizeof(struct imap_server),
		.max_connections = set->imap_max_connections,
		.max_per_ip = set->max_connections_per_ip,
		.max_errors = 30, /* BAD replies */
		.login_timeout = set->login_timeout,
		.hostname = set->myhostname,
		.tls = &deps->tls,
	};
	const struct server_listen lists[] = {
		{&set->imap_listen, IMAP_LISTENER_PLAIN, false, "imap_listen"},
		{&set->imaps_listen, IMAP_LISTENER_TLS, true, "imaps_listen"},
	};

	*params_r = params;
	memcpy(lists_r, lists, sizeof(lists));
}

struct server *
imap_server_new(const struct imap_server_deps *deps, const char **error_r)
{
	struct server_params params;
	struct server_listen lists[2];
	struct server *srv;

	imap_server_config(deps, deps->settings, &params, lists);
	srv = server_open(&params, lists, 2, error_r);
	if (srv != NULL)
		((struct imap_server *)server_owner(srv))->deps = deps;
	return srv;
}

int
imap_server_reload_prepare(struct server *srv, const struct settings *fresh, const char **error_r)
{
	const struct imap_server *server = server_owner(srv);
	struct server_params params;
	struct server_listen lists[2];

	imap_server_config(server->deps, fresh, &params, lists);
	return server_reload_prepare(srv, &params, lists, 2, error_r);
}
