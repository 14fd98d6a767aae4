/* `yubin ban list | del ADDRESS`: the login bans (auth/ban.h). A running server is asked
 * over its control socket (its table is the live one); without a server, the CLI reads
 * and edits data_directory/bans.db, which the server loads when it starts. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "auth/ban.h"
#include "cli/control.h"
#include "conf/settings.h"
#include "db/db_kv.h"
#include "util/buf.h"
#include "util/xmalloc.h"

static void
print_ban(const char *key, time_t until, unsigned failures)
{
	char when[32];
	struct tm tm;

	gmtime_r(&until, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s banned until %s (%u failed logins)\n", key, when, failures);
}

static void
print_row(const char *key, time_t expires, int64_t a, int64_t b, void *ctx)
{
	(void)b;
	(void)ctx;
	print_ban(key, expires, (unsigned)a);
}

/* The reply lines of "ban list": "KEY until UNIXTIME failures N". */
static void
print_reply(const struct buf *reply)
{
	const char *p = buf_cstr(reply);

	while (*p != '\0') {
		char key[BAN_KEY_MAX];
		long long until;
		unsigned failures;
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "%63s until %lld failures %u", key, &until, &failures) == 3)
			print_ban(key, (time_t)until, failures);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Without a server: the file itself. */
static int
ban_offline(const struct settings *s, const char *what, const char *addr)
{
	char *path = xasprintf("%s/%s", s->data_directory, BAN_DB_NAME);
	char key[BAN_KEY_MAX];
	const char *error;
	struct db_kv *kv;
	int ret = EX_OK;

	if (addr != NULL && ban_key_of_text(addr, key) < 0) {
		fprintf(stderr, "yubin: %s: not an IP address\n", addr);
		free(path);
		return EX_DATAERR;
	}
	kv = db_kv_open(path, NULL, &error);
	free(path);
	if (kv == NULL) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_CANTCREAT;
	}
	if (strcmp(what, "list") == 0) {
		if (db_kv_load(kv, time(NULL), print_row, NULL) < 0)
			ret = EX_SOFTWARE;
	} else if (db_kv_del(kv, key) > 0) {
		printf("%s: ban lifted\n", key);
	} else {
		fprintf(stderr, "yubin: %s: not banned\n", key);
		ret = EX_DATAERR;
	}
	db_kv_close(&kv);
	return ret;
}

int
cmd_ban(struct settings *s, int argc, char **argv)
{
	struct buf reply = BUF_INIT, line = BUF_INIT;
	const char *error;
	bool no_server = false;
	int code, ret;

	if (!(argc == 2 && strcmp(argv[1], "list") == 0) &&
	    !(argc == 3 && strcmp(argv[1], "del") == 0)) {
		fprintf(stderr, "usage: yubin [-c FILE] ban list | del ADDRESS\n");
		return EX_USAGE;
	}
	buf_printf(&line, "ban %s%s%s", argv[1], argc == 3 ? " " : "", argc == 3 ? argv[2] : "");
	code = control_request(s->data_directory, buf_cstr(&line), &reply, &no_server, &error);
	buf_free(&line);
	if (code < 0 && no_server) {
		buf_free(&reply);
		return ban_offline(s, argv[1], argc == 3 ? argv[2] : NULL);
	}
	if (code < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		ret = EX_UNAVAILABLE;
	} else if (strcmp(argv[1], "list") == 0) {
		print_reply(&reply);
		ret = code / 100 == 2 ? EX_OK : EX_SOFTWARE;
	} else if (code / 100 == 2) {
		printf("%s: ban lifted\n", argv[2]);
		ret = EX_OK;
	} else {
		fprintf(stderr, "yubin: %s: %s", argv[2], buf_cstr(&reply));
		ret = EX_DATAERR;
	}
	buf_free(&reply);
	return ret;
}
