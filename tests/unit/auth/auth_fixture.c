/* Test fixture for src/auth tests (see auth_fixture.h). */
#include "auth_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct auth_fixture *
auth_fixture_new(const char *extra)
{
	struct auth_fixture *f = xcalloc(1, sizeof(*f));
	const char *error = NULL;
	char *text;

	strcpy(f->dir, "/tmp/yubin-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	text = xasprintf("data_directory = %s/data\nmydomains = example.test, Other.Test\n%s",
			 f->dir, extra);
	if (settings_load_string(&f->set, "test.conf", text, &error) < 0)
		fail_msg("settings: %s", error);
	free(text);
	f->a = accounts_open(&f->set, &error);
	if (f->a == NULL)
		fail_msg("accounts_open: %s", error);
	return f;
}

void
auth_fixture_free(struct auth_fixture **fp)
{
	struct auth_fixture *f = *fp;
	char *cmd;

	accounts_close(&f->a);
	assert_null(f->a);
	settings_free(&f->set);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	*fp = NULL;
}

char *
auth_fixture_resolve(struct auth_fixture *f, const char *address)
{
	char **local, **remote;
	struct buf b = BUF_INIT;
	int ret = accounts_resolve(f->a, address, &local, &remote);

	if (ret <= 0) {
		assert_null(local);
		assert_null(remote);
		return xstrdup(ret == 0 ? "unknown" : "error");
	}
	buf_appends(&b, "l:");
	for (size_t i = 0; local[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", local[i]);
	buf_appends(&b, " r:");
	for (size_t i = 0; remote[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", remote[i]);
	str_array_free(&local);
	str_array_free(&remote);
	return buf_steal(&b);
}
