/* Listener address lists: "addr:port, [v6]:port, :port" (empty host = all addresses),
 * as used by smtp_listen and the other *_listen keys. Empty value = listener off. */
#include "conf/settings.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

int
listen_list_parse(struct listen_list *l, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);
	size_t n = str_array_len(items);

	l->addrs = n > 0 ? xcalloc(n, sizeof(*l->addrs)) : NULL;
	l->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct listen_addr *a = &l->addrs[l->n];
		const char *item = items[i];
		bool has_port = item[0] == '[' ? strstr(item, "]:") != NULL
					       : strchr(item, ':') != NULL &&
							 strchr(item, ':') == strrchr(item, ':');

		if (!has_port || settings_split_hostport(item, 0, &a->host, &a->port, NULL) < 0) {
			*error_r = "invalid listen address (expected addr:port, [v6addr]:port "
				   "or :port)";
			str_array_free(&items);
			listen_list_free(l);
			return -1;
		}
		l->n++;
	}
	str_array_free(&items);
	return 0;
}

void
listen_list_free(struct listen_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->addrs[i].host);
	free(l->addrs);
	l->addrs = NULL;
	l->n = 0;
}

void
listen_addr_format(const struct listen_addr *a, char *out, size_t size)
{
	const char *host = a->host != NULL ? a->host : "";

	if (strchr(host, ':') != NULL)
		snprintf(out, size, "[%s]:%u", host, a->port);
	else
		snprintf(out, size, "%s:%u", host, a->port);
}
