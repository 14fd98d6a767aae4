/* `yubin user add|del|list|passwd`: account administration in yubin.db. Passwords (or,
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

#define SECRET_MAX 4096

static int
usage(void)
{
	fprintf(stderr, "usage: yubin [-c FILE] user add ADDRESS [--hash]\n"
			"       yubin [-c FILE] user passwd ADDRESS [--hash]\n"
			"       yubin [-c FILE] user del ADDRESS [--purge]\n"
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
user_add(struct settings *s, struct accounts *a, const char *address, bool is_hash)
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
	printf("added %s\n", address);
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

static void
print_user(void *ctx, const char *address)
{
	printf("%s\n", address);
}

/* Checks the arguments: 1 with the optional flag, 0 without, -1 bad usage. */
static int
parse_args(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	const char *flag = strcmp(verb, "del") == 0 ? "--purge" : "--hash";

	if (strcmp(verb, "list") == 0)
		return argc == 2 ? 0 : -1;
	if (strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0 && strcmp(verb, "del") != 0)
		return -1;
	if (argc == 3)
		return 0;
	return argc == 4 && strcmp(argv[3], flag) == 0 ? 1 : -1;
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
		ret = user_add(s, a, argv[2], flag == 1);
	else if (strcmp(argv[1], "passwd") == 0)
		ret = user_passwd(a, argv[2], flag == 1);
	else if (strcmp(argv[1], "del") == 0)
		ret = user_del(s, a, argv[2], flag == 1);
	else
		ret = accounts_user_list(a, print_user, NULL) < 0 ? EX_IOERR : EX_OK;
	accounts_close(&a);
	return ret;
}
