/* `yubin reload`: asks the running server over its control socket (control.h) to load
 * its config again, as SIGHUP does, and says whether it did. A config with an error is
 * refused by the server, which keeps running with the old one: the error is printed and
 * the exit status is EX_CONFIG. */
#include "cli/cli.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli/control.h"
#include "conf/settings.h"
#include "util/buf.h"

int
cmd_reload(struct settings *s, int argc, char **argv)
{
	struct buf reply = BUF_INIT;
	const char *error;
	bool no_server;
	int code;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] reload\n");
		return EX_USAGE;
	}
	code = control_request(s->data_directory, "reload", &reply, &no_server, &error);
	if (code < 0) {
		fprintf(stderr, "yubin: %s%s\n", error,
			no_server ? " (is the server running?)" : "");
		buf_free(&reply);
		return EX_UNAVAILABLE;
	}
	fwrite(reply.data, 1, reply.len, code / 100 == 2 ? stdout : stderr);
	buf_free(&reply);
	return code / 100 == 2 ? EX_OK : code == 550 ? EX_CONFIG : EX_SOFTWARE;
}
