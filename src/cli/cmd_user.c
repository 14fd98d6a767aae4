/* `yubin user add|del|list|passwd|quota|admin`: account administration in yubin.db. Passwords (or,
 * with --hash, existing $y$/$6$/$2b$ hashes) are read as one line from stdin; on a
 * terminal without echo, asked twice. `user add` also creates the account's mailboxes. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "cli/privs.h"
#include "conf/settings.h"
#include "store/store.h"
#include "store/store_quota.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define SECRET_MAX 4096

static int
usage(void)
{
	fprintf(stderr, "usage: yubin [-c FILE] user add ADDRESS [--hash] [--admin]\n"
			"       yubin [-c FILE] user passwd ADDRESS [--hash]\n"
			"       yubin [-c FILE] user del ADDRESS [--purge]\n"
			"       yubin [-c FILE] user quota ADDRESS SIZE|none|default\n"
			"       yubin [-c FILE] user admin ADDRESS yes|no\n"
			"       yubin [-c FILE] user list\n"
			"The password (or, with --hash, a $y$/$6$/$2b$ crypt hash) is read as one "
			"line from stdin.\n");
	return EX_USAGE;
}

/* One line from stdin, without its line end; prompts without echo on a terminal. */
static int
read_line(const char *prompt, char out[SECRET_MAX])
{
	struct termios old, noecho;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	bool ok;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	}
	ok = fgets(out, SECRET_MAX, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int
read_secret(bool is_hash, char out[SECRET_MAX])
{
	char again[SECRET_MAX];
	int ret = 0;

	if (read_line(is_hash ? "Hash: " : "Password: ", out) < 0 || out[0] == '\0') {
		fprintf(stderr, "yubin: no %s on stdin\n", is_hash ? "hash" : "password");
		return -1;
	}
	if (!is_hash && isatty(STDIN_FILENO)) {
		if (read_line("Again: ", again) < 0 || strcmp(out, again) != 0) {
			fprintf(stderr, "yubin: the passwords differ\n");
			ret = -1;
		}
		explicit_bzero(again, sizeof(again));
	}
	return ret;
}

/* Creates the account's mailboxes; on failure the account is removed again. */
static int
create_mailboxes(struct settings *s, struct accounts *a, const char *address)
{
	char *name = accounts_addr_name(address);
	const char *error = NULL;
	struct store *store = store_open(s->data_directory, NULL, &error);
	int ret = store != NULL ? store_account_create(store, name, &error) : -1;
	const char *ignored;

	store_close(&store);
	if (ret < 0) {
		fprintf(stderr, "yubin: %s: cannot create mailboxes: %s\n", address, error);
		accounts_user_del(a, address, &ignored);
	}
	free(name);
	return ret;
}

static int
user_add(struct settings *s, struct accounts *a, const char *address, bool is_hash, bool admin)
{
	char secret[SECRET_MAX];
	const char *error;
	int ret;

	if (accounts_user_exists(a, address)) {
		fprintf(stderr, "yubin: %s: an account with this address already exists\n",
			address);
		return EX_DATAERR;
	}
	if (read_secret(is_hash, secret) < 0)
		return EX_DATAERR;
	ret = accounts_user_add(a, address, secret, is_hash, &error);
	explicit_bzero(secret, sizeof(secret));
	if (ret < 0) {
		fprintf(stderr, "yubin: %s: %s\n", address, error);
		return EX_DATAERR;
	}
	if (create_mailboxes(s, a, address) < 0)
		return EX_CANTCREAT;
	if (admin && accounts_user_set_admin(a, address, true, &error) < 0) {
		fprintf(stderr, "yubin: %s: added, but not flagged admin: %s\n", address, error);
		return EX_IOERR;
	}
	printf("added %s%s\n", address, admin ? " (admin)" : "");
	return EX_OK;
}

static int
user_passwd(struct accounts *a, const char *address, bool is_hash)
{
	char secret[SECRET_MAX];
	const char *error;
	int ret;

	if (!accounts_user_exists(a, address)) {
		fprintf(stderr, "yubin: %s: no such account\n", address);
		return EX_NOUSER;
	}
	if (read_secret(is_hash, secret) < 0)
		return EX_DATAERR;
	ret = accounts_user_passwd(a, address, secret, is_hash, &error);
	explicit_bzero(secret, sizeof(secret));
	if (ret < 0) {
		fprintf(stderr, "yubin: %s: %s\n", address, error);
		return EX_DATAERR;
	}
	printf("changed the password of %s\n", address);
	return EX_OK;
}

static int
user_del(struct settings *s, struct accounts *a, const char *address, bool purge)
{
	char *name = accounts_addr_name(address);
	const char *error;
	struct store *store;
	int ret = EX_OK;

	if (name == NULL || !accounts_user_exists(a, address)) {
		fprintf(stderr, "yubin: %s: no such account\n", address);
		free(name);
		return EX_NOUSER;
	}
	if (accounts_user_del(a, address, &error) < 0) {
		fprintf(stderr, "yubin: %s: %s\n", address, error);
		free(name);
		return EX_IOERR;
	}
	if (purge) {
		store = store_open(s->data_directory, NULL, &error);
		if (store == NULL || store_account_delete(store, name, &error) < 0) {
			fprintf(stderr, "yubin: %s: account deleted, but not its mail: %s\n",
				address, error);
			ret = EX_IOERR;
		}
		store_close(&store);
	}
	if (ret == EX_OK)
		printf("deleted %s%s\n", address, purge ? " and its mail" : " (mail kept)");
	free(name);
	return ret;
}

/* `user quota ADDRESS SIZE|none|default`: the account's own limit (none: unlimited), or
 * back to mailbox_quota (default). */
static int
user_quota(struct accounts *a, const char *address, const char *value)
{
	unsigned long long bytes = 0;
	long long set;
	const char *error;

	if (strcmp(value, "default") == 0)
		set = -1;
	else if (strcmp(value, "none") == 0)
		set = 0;
	else if (settings_parse_size(value, &bytes) == 0 && bytes <= 1ULL << 50)
		set = (long long)bytes;
	else {
		fprintf(stderr,
			"yubin: %s: invalid size (bytes, or a number with k, m or g; "
			"none; default)\n",
			value);
		return EX_USAGE;
	}
	if (!accounts_user_exists(a, address)) {
		fprintf(stderr, "yubin: %s: no such account\n", address);
		return EX_NOUSER;
	}
	if (accounts_user_set_quota(a, address, set, &error) < 0) {
		fprintf(stderr, "yubin: %s: %s\n", address, error);
		return EX_IOERR;
	}
	if (set < 0)
		printf("quota of %s: the default (mailbox_quota)\n", address);
	else if (set == 0)
		printf("quota of %s: none\n", address);
	else
		printf("quota of %s: %llu bytes\n", address, bytes);
	return EX_OK;
}

/* `user admin ADDRESS yes|no`: may the account log in to the admin web page. */
static int
user_admin(struct accounts *a, const char *address, const char *value)
{
	bool on = strcmp(value, "yes") == 0;
	const char *error;

	if (!on && strcmp(value, "no") != 0)
		return usage();
	if (!accounts_user_exists(a, address)) {
		fprintf(stderr, "yubin: %s: no such account\n", address);
		return EX_NOUSER;
	}
	if (accounts_user_set_admin(a, address, on, &error) < 0) {
		fprintf(stderr, "yubin: %s: %s\n", address, error);
		return EX_IOERR;
	}
	printf("%s: admin %s\n", address, on ? "yes" : "no");
	return EX_OK;
}

static void
collect_user(void *ctx, const char *address)
{
	char ***users = ctx;
	size_t n = str_array_len(*users);

	*users = xrealloc(*users, (n + 2) * sizeof(**users));
	(*users)[n] = xstrdup(address);
	(*users)[n + 1] = NULL;
}

/* One line per account: address, limit (own or the default) and usage (when the store
 * can be read). */
static int
user_list(struct settings *s, struct accounts *a)
{
	char **users = NULL;
	const char *error;
	struct store *store;
	int ret = EX_OK;

	if (accounts_user_list(a, collect_user, &users) < 0)
		return EX_IOERR;
	store = users != NULL ? store_open(s->data_directory, NULL, &error) : NULL;
	for (char **u = users; u != NULL && *u != NULL; u++) {
		char *name = accounts_addr_name(*u);
		unsigned long long own, limit = s->mailbox_quota;
		bool has_own = name != NULL && accounts_user_quota(a, name, &own) == 1;
		struct store_usage use;

		if (has_own)
			limit = own;
		printf("%s  quota ", *u);
		if (limit == 0)
			printf("none");
		else
			printf("%llu", limit);
		printf("%s", has_own ? "" : " (default)");
		if (store != NULL && name != NULL && store_quota_usage_of(store, name, &use) == 0)
			printf("  used %llu in %llu messages", use.bytes, use.messages);
		if (name != NULL && accounts_user_is_admin(a, name))
			printf("  admin");
		printf("\n");
		free(name);
	}
	store_close(&store);
	str_array_free(&users);
	return ret;
}

enum { FLAG_HASH_OR_PURGE = 1, FLAG_ADMIN = 2 };

/* Checks the arguments: the FLAG_ bits given (--hash / --purge, --admin for add), -1 bad
 * usage. */
static int
parse_args(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	const char *flag = strcmp(verb, "del") == 0 ? "--purge" : "--hash";
	int flags = 0;

	if (strcmp(verb, "list") == 0)
		return argc == 2 ? 0 : -1;
	if (strcmp(verb, "quota") == 0 || strcmp(verb, "admin") == 0)
		return argc == 4 ? 0 : -1;
	if (strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0 && strcmp(verb, "del") != 0)
		return -1;
	if (argc < 3)
		return -1;
	for (int i = 3; i < argc; i++) {
		int bit = strcmp(argv[i], flag) == 0 ? FLAG_HASH_OR_PURGE
			  : strcmp(verb, "add") == 0 && strcmp(argv[i], "--admin") == 0 ? FLAG_ADMIN
											: 0;
		if (bit == 0 || (flags & bit) != 0)
			return -1;
		flags |= bit;
	}
	return flags;
}

int
cmd_user(struct settings *s, int argc, char **argv)
{
	int flag = parse_args(argc, argv), ret;
	struct accounts *a;

	if (flag < 0)
		return usage();
	if ((ret = privs_open_accounts(s, &a)) != EX_OK)
		return ret;
	if (strcmp(argv[1], "add") == 0)
		ret = user_add(s, a, argv[2], (flag & FLAG_HASH_OR_PURGE) != 0,
			       (flag & FLAG_ADMIN) != 0);
	else if (strcmp(argv[1], "passwd") == 0)
		ret = user_passwd(a, argv[2], (flag & FLAG_HASH_OR_PURGE) != 0);
	else if (strcmp(argv[1], "del") == 0)
		ret = user_del(s, a, argv[2], (flag & FLAG_HASH_OR_PURGE) != 0);
	else if (strcmp(argv[1], "quota") == 0)
		ret = user_quota(a, argv[2], argv[3]);
	else if (strcmp(argv[1], "admin") == 0)
		ret = user_admin(a, argv[2], argv[3]);
	else
		ret = user_list(s, a);
	accounts_close(&a);
	return ret;
}
