/* yubin: one binary, subcommands (docs/design.md "Command line"). Parses -c FILE (or
 * YUBIN_CONFIG), loads and validates the config, and dispatches. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_queue.h"
#include "cli/serve.h"
#include "conf/settings.h"
#include "log/log.h"

#define DEFAULT_CONFIG "/etc/yubin/yubin.conf"

static void
usage(void)
{
	fprintf(stderr,
		"usage: yubin [-c FILE] COMMAND ...\n"
		"  serve                              run the server in the foreground\n"
		"  check                              validate the config, print the settings\n"
		"  user add ADDRESS [--hash] | del ADDRESS | list | passwd ADDRESS [--hash]\n"
		"  alias add ALIAS TARGET[,TARGET...] | del ALIAS | list\n"
		"  queue list | flush | delete ID | hold ID | release ID\n"
		"  sendmail [-t] [-i] [-f FROM] [RCPT...]\n"
		"  dkim keygen DOMAIN [--selector S] | list\n"
		"  quickstart ADDRESS [--hostname HOST] [--config PATH] [--data-dir DIR]\n"
		"             [--ip IPV4] [--ip6 IPV6]   write a config, an account, DKIM keys;\n"
		"                                     print the DNS records to publish\n"
		"  dnscheck                           check the published DNS records\n"
		"  status                             the running server's summary\n"
		"  reload                             the running server loads the config again\n"
		"  ban list | del ADDRESS             the login bans (auth_ban_threshold)\n"
		"The config is FILE, else $YUBIN_CONFIG, else " DEFAULT_CONFIG ".\n");
}

static int
load_settings(struct settings *s, const char *path)
{
	const char *error;

	if (settings_load(s, path, &error) < 0) {
		fprintf(stderr, "%s\n", error); /* already "FILE:LINE: message" */
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config = getenv("YUBIN_CONFIG");
	struct settings settings;
	int argi = 1, ret;

	log_init_from_env();
	if (config == NULL)
		config = DEFAULT_CONFIG;
	/* invoked as "sendmail": the interface of cron, PHP's mail() and scripts */
	if (strcmp(basename(argv[0]), "sendmail") == 0) {
		if (load_settings(&settings, config) < 0)
			return EX_CONFIG;
		argv[0] = "sendmail";
		ret = cmd_sendmail(&settings, argc, argv);
		settings_free(&settings);
		return ret;
	}
	while (argi < argc && argv[argi][0] == '-') {
		if (strcmp(argv[argi], "-c") == 0 && argi + 1 < argc) {
			config = argv[argi + 1];
			argi += 2;
		} else if (strcmp(argv[argi], "-h") == 0 || strcmp(argv[argi], "--help") == 0) {
			usage();
			return EX_OK;
		} else {
			usage();
			return EX_USAGE;
		}
	}
	if (argi >= argc) {
		usage();
		return EX_USAGE;
	}
	/* quickstart writes the config: there is none to load yet */
	if (strcmp(argv[argi], "quickstart") == 0)
		return cmd_quickstart(config, argc - argi, argv + argi);
	if (load_settings(&settings, config) < 0)
		return EX_CONFIG;
	argc -= argi;
	argv += argi;
	if (strcmp(argv[0], "serve") == 0)
		ret = serve(&settings, argc, argv);
	else if (strcmp(argv[0], "check") == 0)
		ret = cmd_check(&settings, argc, argv);
	else if (strcmp(argv[0], "user") == 0)
		ret = cmd_user(&settings, argc, argv);
	else if (strcmp(argv[0], "alias") == 0)
		ret = cmd_alias(&settings, argc, argv);
	else if (strcmp(argv[0], "queue") == 0)
		ret = cmd_queue(&settings, argc, argv);
	else if (strcmp(argv[0], "sendmail") == 0)
		ret = cmd_sendmail(&settings, argc, argv);
	else if (strcmp(argv[0], "dkim") == 0)
		ret = cmd_dkim(&settings, argc, argv);
	else if (strcmp(argv[0], "dnscheck") == 0)
		ret = cmd_dnscheck(&settings, argc, argv);
	else if (strcmp(argv[0], "status") == 0)
		ret = cmd_status(&settings, argc, argv);
	else if (strcmp(argv[0], "reload") == 0)
		ret = cmd_reload(&settings, argc, argv);
	else if (strcmp(argv[0], "ban") == 0)
		ret = cmd_ban(&settings, argc, argv);
	else {
		usage();
		ret = EX_USAGE;
	}
	settings_free(&settings);
	return ret;
}
