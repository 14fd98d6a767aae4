/* `yubin check`: the config was loaded and validated by main(); print the effective
 * settings (re-loadable main.cf text) and warn about files that cannot be read now. */
#include "cli/cli.h"

#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf/settings.h"

static void
warn_unreadable(const struct settings *s, const char *key, const char *path)
{
	if (path != NULL && access(path, R_OK) < 0)
		fprintf(stderr, "%s: warning: %s: cannot read %s (now, as this user)\n",
			s->config_path != NULL ? s->config_path : "config", key, path);
}

int
cmd_check(struct settings *s, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] check\n");
		return EX_USAGE;
	}
	warn_unreadable(s, "tls_cert_file", s->tls_cert_file);
	warn_unreadable(s, "tls_key_file", s->tls_key_file);
	warn_unreadable(s, "relayhost_password_file", s->relayhost_password_file);
	settings_print(s, stdout);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
