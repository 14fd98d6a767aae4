/* `yubin status` and `yubin reload`: one request to the running server over its control
 * socket (control.h), the answer printed.
 *   status   uptime, listeners, sessions per protocol, the queue, certificate expiry
 *   reload   load the config again, as SIGHUP does; a config with an error is refused by
 *            the server, which keeps the old one: the error is printed, exit EX_CONFIG */
#include "cli/cli.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli/control.h"
#include "conf/settings.h"
#include "util/buf.h"

static int
control_command(struct settings *s, int argc, const char *request)
{
	struct buf reply = BUF_INIT;
	const char *error;
	bool no_server;
	int code;

	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] %s\n", request);
		return EX_USAGE;
	}
	code = control_request(s->data_directory, request, &reply, &no_server, &error);
	if (code < 0) {
		fprintf(stderr, "yubin: %s%s\n", error,
			no_server ? " (is the server running?)" : "");
		buf_free(&reply);
		return EX_UNAVAILABLE;
	}
	fwrite(reply.data, 1, reply.len, code / 100 == 2 ? stdout : stderr);
	buf_free(&reply);
	/* 550: the server refused the request itself (a broken config for reload) */
	return code / 100 == 2 ? EX_OK : code == 550 ? EX_CONFIG : EX_SOFTWARE;
}

int
cmd_status(struct settings *s, int argc, char **argv)
{
	(void)argv;
	return control_command(s, argc, "status");
}

int
cmd_reload(struct settings *s, int argc, char **argv)
{
	(void)argv;
	return control_command(s, argc, "reload");
}
