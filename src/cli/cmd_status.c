/* `yubin status`: asks the running server over its control socket (control.h) and
 * prints the answer: uptime, listeners, sessions per protocol, the queue, certificate
 * expiry. */
#include "cli/cli.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli/control.h"
#include "conf/settings.h"
#include "util/buf.h"

int
cmd_status(struct settings *s, int argc, char **argv)
{
	struct buf reply = BUF_INIT;
	const char *error;
	bool no_server;
	int code;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] status\n");
		return EX_USAGE;
	}
	code = control_request(s->data_directory, "status", &reply, &no_server, &error);
	if (code < 0) {
		fprintf(stderr, "yubin: %s%s\n", error,
			no_server ? " (is the server running?)" : "");
		buf_free(&reply);
		return EX_UNAVAILABLE;
	}
	fwrite(reply.data, 1, reply.len, stdout);
	buf_free(&reply);
	return code / 100 == 2 ? EX_OK : EX_SOFTWARE;
}
