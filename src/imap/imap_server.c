/* The IMAP server object: imap_listen (STARTTLS) and imaps_listen (implicit TLS) on the
 * shared server base (listeners, connection limits, session list: net/server.h). */
#include "imap/imap_server.h"

#include <stdlib.h>

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "net/server.h"
#include "util/xmalloc.h"

struct imap_server {
	const struct imap_server_deps *deps;
	struct server *base;
};

const struct imap_server_deps *
imap_server_deps(const struct imap_server *server)
{
	return server->deps;
}

struct server *
imap_server_base(const struct imap_server *server)
{
	return server->base;
}

struct imap_server *
imap_server_new(const struct imap_server_deps *deps, const char **error_r)
{
	struct imap_server *server = xcalloc(1, sizeof(*server));
	const struct settings *set = deps->settings;
	struct server_params params = {
		.base = deps->base,
		.ops = &imap_session_ops,
		.owner = server,
		.max_connections = set->imap_max_connections,
		.max_per_ip = set->max_connections_per_ip,
		.login_timeout = set->login_timeout,
	};

	server->deps = deps;
	server->base = server_new(&params);
	if (set->imaps_listen.n > 0 && deps->tls == NULL) {
		*error_r = "imaps_listen needs TLS, but no certificate is loaded";
		imap_server_free(&server);
		return NULL;
	}
	if (server_listen(server->base, &set->imap_listen, IMAP_LISTENER_PLAIN, NULL, error_r) < 0 ||
	    server_listen(server->base, &set->imaps_listen, IMAP_LISTENER_TLS, &deps->tls,
			  error_r) < 0) {
		imap_server_free(&server);
		return NULL;
	}
	return server;
}

bool
imap_server_busy(const struct imap_server *server)
{
	return server != NULL && server_busy(server->base);
}

void
imap_server_shutdown(struct imap_server *server)
{
	server_shutdown(server->base);
}

void
imap_server_free(struct imap_server **serverp)
{
	struct imap_server *server = *serverp;

	if (server == NULL)
		return;
	*serverp = NULL;
	server_free(&server->base);
	free(server);
}
