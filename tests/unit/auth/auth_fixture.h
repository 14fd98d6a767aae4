/* Test fixture for src/auth tests: settings with local domains example.test and
 * Other.Test, and an accounts database in a fresh temporary data directory. */
#ifndef TESTS_AUTH_FIXTURE_H
#define TESTS_AUTH_FIXTURE_H
#include "auth/accounts.h"
#include "conf/settings.h"

struct auth_fixture {
	struct settings set;
	struct accounts *a;
	char dir[64];
};

/* extra: more config lines (may be ""). */
struct auth_fixture *auth_fixture_new(const char *extra);
void auth_fixture_free(struct auth_fixture **f);
/* accounts_resolve() as one "l:name,name r:addr" string (malloc'ed), or "unknown"/"error". */
char *auth_fixture_resolve(struct auth_fixture *f, const char *address);

#endif
