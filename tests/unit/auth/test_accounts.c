/* Unit tests for account administration and password checks: add/del/passwd/list, case
 * rules, local-domain checks, yescrypt hashing, importing $6$ (openssl passwd -6), $2b$
 * and $y$ hashes, aliases add/del/list, and concurrent password checks from threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <crypt.h>
#include <pthread.h>

#include "auth_fixture.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* `openssl passwd -6 -salt yubinsalt secret6` */
#define OPENSSL_SHA512                                                                             \
	"$6$yubinsalt$ldXI0I8eXqOL9YnJA5e2ZZjMJvBO9NtLfQ2EK4."                                     \
	"CSMHt7NbaNWCKEVY2VMf1ScqZAT47Ig6zEKJVSNxjDGNWV."

static void
add_ok(struct auth_fixture *f, const char *address, const char *password, bool is_hash)
{
	const char *error = NULL;

	if (accounts_user_add(f->a, address, password, is_hash, &error) < 0)
		fail_msg("user add %s: %s", address, error);
}

static void
collect_user(void *ctx, const char *address)
{
	struct buf *b = ctx;
	buf_printf(b, "%s;", address);
}

static void
test_user_add_del(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	const char *error;
	struct buf b = BUF_INIT;

	add_ok(f, "alice@example.test", "pw-alice", false);
	add_ok(f, "Bob@OTHER.test", "pw-bob", false);
	assert_true(accounts_user_exists(f->a, "alice@example.test"));
	assert_true(accounts_user_exists(f->a, "ALICE@Example.Test"));
	assert_false(accounts_user_exists(f->a, "carol@example.test"));
	assert_false(accounts_user_exists(f->a, "garbage"));
	/* duplicates, also differing only by case, are refused */
	assert_int_equal(accounts_user_add(f->a, "alice@example.test", "x", false, &error), -1);
	assert_int_equal(accounts_user_add(f->a, "ALICE@example.test", "x", false, &error), -1);
	/* the domain must be local, the address well-formed, the password non-empty */
	assert_int_equal(accounts_user_add(f->a, "dave@remote.test", "x", false, &error), -1);
	assert_non_null(strstr(error, "not a local domain"));
	const char *bad[] = {"noat",
			     "@example.test",
			     "a@",
			     "a b@example.test",
			     ".a@example.test",
			     "a/b@example.test",
			     "a\"b@example.test",
			     "a@bad_domain.test",
			     "a,b@example.test"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (accounts_user_add(f->a, bad[i], "x", false, &error) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(accounts_user_add(f->a, "e@example.test", "", false, &error), -1);

	assert_int_equal(accounts_user_list(f->a, collect_user, &b), 0);
	assert_string_equal(buf_cstr(&b), "alice@example.test;Bob@other.test;");
	buf_reset(&b);

	assert_int_equal(accounts_user_del(f->a, "bob@other.test", &error), 0);
	assert_int_equal(accounts_user_del(f->a, "bob@other.test", &error), -1);
	assert_string_equal(error, "no such account");
	assert_int_equal(accounts_user_list(f->a, collect_user, &b), 0);
	assert_string_equal(buf_cstr(&b), "alice@example.test;");
	buf_free(&b);
	auth_fixture_free(&f);
}

static void
test_passwords(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	const char *error;
	char *account;

	add_ok(f, "Alice@example.test", "correct horse", false);
	assert_int_equal(accounts_check_password(f->a, "Alice@example.test", "correct horse"), 1);
	assert_int_equal(accounts_check_password(f->a, "alice@EXAMPLE.test", "correct horse"), 1);
	assert_int_equal(accounts_check_password(f->a, "Alice@example.test", "correct hors"), 0);
	assert_int_equal(accounts_check_password(f->a, "Alice@example.test", ""), 0);
	assert_int_equal(accounts_check_password(f->a, "nobody@example.test", "correct horse"), 0);
	assert_int_equal(accounts_check_password(f->a, "garbage", "x"), 0);
	assert_int_equal(
		accounts_authenticate(f->a, "ALICE@example.test", "correct horse", &account), 1);
	assert_string_equal(account, "alice@example.test");
	free(account);
	assert_int_equal(accounts_authenticate(f->a, "ALICE@example.test", "no", &account), 0);
	assert_null(account);

	assert_int_equal(accounts_user_passwd(f->a, "alice@example.test", "new pw", false, &error),
			 0);
	assert_int_equal(accounts_check_password(f->a, "Alice@example.test", "correct horse"), 0);
	assert_int_equal(accounts_check_password(f->a, "Alice@example.test", "new pw"), 1);
	assert_int_equal(accounts_user_passwd(f->a, "zed@example.test", "x", false, &error), -1);
	auth_fixture_free(&f);
}

static void
test_hash_import(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *error;
	char *bcrypt, *yescrypt;

	add_ok(f, "six@example.test", OPENSSL_SHA512, true);
	assert_int_equal(accounts_check_password(f->a, "six@example.test", "secret6"), 1);
	assert_int_equal(accounts_check_password(f->a, "six@example.test", "secret7"), 0);

	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)));
	bcrypt = xstrdup(crypt_rn("bcrypt pw", setting, cd, sizeof(*cd)));
	add_ok(f, "bee@example.test", bcrypt, true);
	assert_int_equal(accounts_check_password(f->a, "bee@example.test", "bcrypt pw"), 1);
	assert_int_equal(accounts_check_password(f->a, "bee@example.test", "bcrypt"), 0);

	assert_non_null(crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)));
	yescrypt = xstrdup(crypt_rn("yes pw", setting, cd, sizeof(*cd)));
	add_ok(f, "yes@example.test", yescrypt, true);
	assert_int_equal(accounts_check_password(f->a, "yes@example.test", "yes pw"), 1);
	/* passwd --hash */
	assert_int_equal(
		accounts_user_passwd(f->a, "yes@example.test", OPENSSL_SHA512, true, &error), 0);
	assert_int_equal(accounts_check_password(f->a, "yes@example.test", "secret6"), 1);

	const char *bad[] = {
		"plaintext",
		"$1$abcdefgh$aaaaaaaaaaaaaaaaaaaaaa", /* MD5: not accepted */
		"$6$yubinsalt$",                      /* incomplete */
		"$6$yubinsalt",                       /* a setting, no hash */
		"$6$yubinsalt$short",
		"$y$j9T$abc",
		"$2b$04$tooshort",
		"$6$yubin "
		"salt$ldXI0I8eXqOL9YnJA5e2ZZjMJvBO9NtLfQ2EK4."
		"CSMHt7NbaNWCKEVY2VMf1ScqZAT47Ig6zEKJVSNxjDGNWV.",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (accounts_user_add(f->a, "bad@example.test", bad[i], true, &error) == 0)
			fail_msg("hash accepted: %s", bad[i]);
	assert_false(accounts_user_exists(f->a, "bad@example.test"));
	free(bcrypt);
	free(yescrypt);
	free(cd);
	auth_fixture_free(&f);
}

static void
collect_alias(void *ctx, const char *alias, const char *const *targets)
{
	struct buf *b = ctx;

	buf_printf(b, "%s=", alias);
	for (size_t i = 0; targets[i] != NULL; i++)
		buf_printf(b, "%s%s", i > 0 ? "," : "", targets[i]);
	buf_appendc(b, ';');
}

static void
test_alias_admin(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	const char *t1[] = {"alice@example.test", "x@Remote.Test", NULL};
	const char *t2[] = {"bob@example.test", NULL};
	const char *empty[] = {NULL};
	const char *badt[] = {"ok@example.test", "not an address", NULL};
	struct buf b = BUF_INIT;
	const char *error;

	assert_int_equal(accounts_alias_add(f->a, "Sales@Example.TEST", t1, &error), 0);
	assert_int_equal(accounts_alias_add(f->a, "@other.test", t2, &error), 0);
	assert_int_equal(accounts_alias_list(f->a, collect_alias, &b), 0);
	assert_string_equal(buf_cstr(&b), "@other.test=bob@example.test;"
					  "Sales@example.test=alice@example.test,x@remote.test;");
	/* replacing, also by a name differing only by case */
	assert_int_equal(accounts_alias_add(f->a, "sales@example.test", t2, &error), 0);
	buf_reset(&b);
	assert_int_equal(accounts_alias_list(f->a, collect_alias, &b), 0);
	assert_string_equal(buf_cstr(&b), "@other.test=bob@example.test;"
					  "sales@example.test=bob@example.test;");

	assert_int_equal(accounts_alias_add(f->a, "x@remote.test", t1, &error), -1);
	assert_non_null(strstr(error, "not a local domain"));
	assert_int_equal(accounts_alias_add(f->a, "x@example.test", empty, &error), -1);
	assert_int_equal(accounts_alias_add(f->a, "x@example.test", NULL, &error), -1);
	assert_int_equal(accounts_alias_add(f->a, "x@example.test", badt, &error), -1);
	assert_non_null(strstr(error, "not an address"));
	assert_int_equal(accounts_alias_add(f->a, "bad alias@example.test", t1, &error), -1);
	assert_int_equal(accounts_alias_add(f->a, "@bad_domain", t1, &error), -1);

	assert_int_equal(accounts_alias_del(f->a, "SALES@example.test", &error), 0);
	assert_int_equal(accounts_alias_del(f->a, "sales@example.test", &error), -1);
	assert_string_equal(error, "no such alias");
	assert_int_equal(accounts_alias_del(f->a, "@Other.test", &error), 0);
	buf_reset(&b);
	assert_int_equal(accounts_alias_list(f->a, collect_alias, &b), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
	auth_fixture_free(&f);
}

struct thread_arg {
	struct auth_fixture *f;
	int ok, bad;
};

static void *
check_thread(void *p)
{
	struct thread_arg *t = p;

	for (int i = 0; i < 3; i++) {
		t->ok += accounts_check_password(t->f->a, "alice@example.test", "pw") == 1;
		t->bad += accounts_check_password(t->f->a, "alice@example.test", "nope") == 0;
		t->bad += accounts_check_password(t->f->a, "ghost@example.test", "pw") == 0;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	struct thread_arg args[4];
	pthread_t th[4];

	add_ok(f, "alice@example.test", "pw", false);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){.f = f};
		assert_int_equal(pthread_create(&th[i], NULL, check_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].ok, 3);
		assert_int_equal(args[i].bad, 6);
	}
	auth_fixture_free(&f);
}

static void
test_reopen(void **state)
{
	struct auth_fixture *f = auth_fixture_new("");
	const char *error;

	add_ok(f, "alice@example.test", "pw", false);
	accounts_close(&f->a);
	f->a = accounts_open(&f->set, &error);
	assert_non_null(f->a);
	assert_int_equal(accounts_check_password(f->a, "alice@example.test", "pw"), 1);
	auth_fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_add_del), cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_hash_import),  cmocka_unit_test(test_alias_admin),
		cmocka_unit_test(test_threads),      cmocka_unit_test(test_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
