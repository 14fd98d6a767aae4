/* The POP3 server object: pop3_listen (STLS) and pop3s_listen (implicit TLS) on the
 * shared server base (listeners, connection limits, session list: net/server.h). */
#include "pop3/pop3_server.h"

#include <stdlib.h>

#include "conf/settings.h"
#include "net/server.h"
#include "pop3/pop3_session.h"
#include "util/xmalloc.h"

struct pop3_server {
	const struct pop3_server_deps *deps;
	struct server *base;
};

const struct pop3_server_deps *
pop3_server_deps(const struct pop3_server *server)
{
	return server->deps;
}

struct server *
pop3_server_base(const struct pop3_server *server)
{
	return server->base;
}

struct pop3_server *
pop3_server_new(const struct pop3_server_deps *deps, const char **error_r)
{
	struct pop3_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;
	struct server_params params = {
		.base = deps->base,
		.ops = &pop3_session_ops,
		.owner = server,
		.max_connections = set->pop3_max_connections,
		.max_per_ip = set->max_connections_per_ip,
		.login_timeout = set->login_timeout,
	};

	server->deps = deps;
	server->base = server_new(&params);
	if (set->pop3s_listen.n > 0 && deps->tls == NULL) {
		*error_r = "pop3s_listen needs TLS, but no certificate is loaded";
		pop3_server_free(&server);
		return NULL;
	}
	if (server_listen(server->base, &set->pop3_listen, POP3_LISTENER_PLAIN, NULL, error_r) < 0 ||
	    server_listen(server->base, &set->pop3s_listen, POP3_LISTENER_TLS, &deps->tls,
			  error_r) < 0) {
		pop3_server_free(&server);
		return NULL;
	}
	return server;
}

bool
pop3_server_busy(const struct pop3_server *server)
{
	return server != NULL && server_busy(server->base);
}

void
pop3_server_shutdown(struct pop3_server *server)
{
	server_shutdown(server->base);
}

void
pop3_server_free(struct pop3_server **serverp)
{
	struct pop3_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	server_free(&server->base);
	free(server);
}
