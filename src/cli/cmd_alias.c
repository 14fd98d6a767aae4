/* `yubin alias add|del|list`: aliases in yubin.db. An alias of a local domain (or
 * "@domain", a catch-all) expands to one or more targets, local or remote. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "auth/accounts.h"
#include "cli/privs.h"
#include "conf/settings.h"
#include "util/str.h"
#include "util/xmalloc.h"

static int
usage(void)
{
	fprintf(stderr, "usage: yubin [-c FILE] alias add ALIAS TARGET[,TARGET...]\n"
			"       yubin [-c FILE] alias del ALIAS\n"
			"       yubin [-c FILE] alias list\n");
	return EX_USAGE;
}

/* Targets from the remaining arguments, each a comma-separated list. */
static char **
collect_targets(int argc, char **argv)
{
	char **all = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < argc; i++) {
		char **items = str_split(argv[i], ',');
		for (size_t j = 0; items[j] != NULL; j++) {
			all = xgrow(all, &cap, n + 2, sizeof(*all));
			all[n++] = items[j];
		}
		free(items);
	}
	all = xgrow(all, &cap, n + 1, sizeof(*all));
	all[n] = NULL;
	return all;
}

static int
alias_add(struct accounts *a, const char *alias, int argc, char **argv)
{
	char **targets = collect_targets(argc, argv);
	const char *error;
	int ret = EX_OK;

	if (accounts_alias_add(a, alias, (const char *const *)targets, &error) < 0) {
		fprintf(stderr, "yubin: %s: %s\n", alias, error);
		ret = EX_DATAERR;
	} else {
		printf("added alias %s\n", alias);
	}
	str_array_free(&targets);
	return ret;
}

static void
print_alias(void *ctx, const char *alias, const char *const *targets)
{
	printf("%s:", alias);
	for (size_t i = 0; targets[i] != NULL; i++)
		printf("%s %s", i > 0 ? "," : "", targets[i]);
	printf("\n");
}

int
cmd_alias(struct settings *s, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "", *error;
	struct accounts *a;
	int ret;

	if ((strcmp(verb, "add") == 0 && argc < 4) || (strcmp(verb, "del") == 0 && argc != 3) ||
	    (strcmp(verb, "list") == 0 && argc != 2))
		return usage();
	if (strcmp(verb, "add") != 0 && strcmp(verb, "del") != 0 && strcmp(verb, "list") != 0)
		return usage();
	if ((ret = privs_open_accounts(s, &a)) != EX_OK)
		return ret;
	if (strcmp(verb, "add") == 0) {
		ret = alias_add(a, argv[2], argc - 3, argv + 3);
	} else if (strcmp(verb, "del") == 0) {
		ret = EX_OK;
		if (accounts_alias_del(a, argv[2], &error) < 0) {
			fprintf(stderr, "yubin: %s: %s\n", argv[2], error);
			ret = EX_NOUSER;
		} else {
			printf("deleted alias %s\n", argv[2]);
		}
	} else {
		ret = accounts_alias_list(a, print_alias, NULL) < 0 ? EX_IOERR : EX_OK;
	}
	accounts_close(&a);
	return ret;
}
