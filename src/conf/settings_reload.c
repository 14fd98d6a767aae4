/* What a reload of the config may change in a running server (see settings.h). */
#include "conf/settings.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings_keys.h"
#include "util/buf.h"

/* Read once when `yubin serve` starts (the databases and tables opened then, the
 * privileges dropped then, the relay's password read then): docs/operations.md. */
const char *const settings_restart_keys[] = {
	"data_directory",
	"run_as_user",
	"dns_resolvers",
	"dns_cache_size",
	"auth_failure_delay",
	"auth_ban_threshold",
	"auth_ban_window",
	"auth_ban_time",
	"guard_table_size",
	"greylist",
	"dnsbl_zones",
	"relayhost",
	"relayhost_username",
	"relayhost_password_file",
	"http_listen",
	"https_listen",
	"metrics_listen",
	"admin_recent_events",
	"dkim_sign",
	"dkim_dns_check_interval",
	"acme",
	"acme_directory",
	"acme_email",
	"acme_ca_file",
	"acme_domains",
	"acme_challenge",
	"acme_renew_days",
	"acme_check_interval",
	NULL,
};

size_t
settings_keep_restart_keys(struct settings *fresh, const struct settings *live, struct buf *changed)
{
	size_t n = 0;

	for (const char *const *name = settings_restart_keys; *name != NULL; name++) {
		const struct settings_key *k = settings_key_find(*name);
		char *now = settings_key_format(live, k);
		char *wanted = settings_key_format(fresh, k);
		const char *error;

		if (strcmp(now, wanted) != 0) {
			/* the printed form loads back unchanged (settings_print()) */
			if (settings_key_set(fresh, k, now, &error) < 0)
				abort();
			buf_printf(changed, "%s%s", n > 0 ? ", " : "", *name);
			n++;
		}
		free(now);
		free(wanted);
	}
	return n;
}
