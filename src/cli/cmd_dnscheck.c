/* `yubin dnscheck`: the published DNS records checked (src/mailauth/dnscheck.c, shared
 * with the admin web page) and the report printed. */
#include "cli/cli.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli/privs.h"
#include "conf/settings.h"
#include "mailauth/dnscheck.h"
#include "util/buf.h"

int
cmd_dnscheck(struct settings *s, int argc, char **argv)
{
	struct buf out = BUF_INIT;
	const char *error = "";
	int problems;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] dnscheck\n");
		return EX_USAGE;
	}
	if (privs_drop(s, &error) < 0) { /* the DKIM keys are the server user's */
		fprintf(stderr, "yubin: %s\n", error);
		return EX_NOPERM;
	}
	problems = dnscheck_run(s, &out, &error);
	if (problems < 0) {
		fprintf(stderr, "yubin: DNS: %s\n", error);
		buf_free(&out);
		return EX_UNAVAILABLE;
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return problems > 0 ? 1 : EX_OK;
}
