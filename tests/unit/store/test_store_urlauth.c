/* Tests of the URLAUTH mailbox access keys (src/store/store_urlauth.c, RFC 4467 3, 7):
 * a token needs a key (made on demand), verifies only for its rump and mailbox, survives a
 * rename, and RESETKEY (one mailbox or all) makes every earlier token fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_urlauth.h"
#include "store_test_util.h"

static const char rump[] = "imap://u@example.test/Drafts/;uid=1;urlauth=anonymous";

static void
token(struct store_account *acct, const char *mailbox, char out[STORE_URLAUTH_TOKEN_LEN + 1])
{
	const char *error;

	assert_int_equal(store_urlauth_token(acct, mailbox, true, rump, strlen(rump), out, &error),
			 1);
}

static void
test_keys(void **state)
{
	struct test_account *t = *state;
	char t1[STORE_URLAUTH_TOKEN_LEN + 1], t2[STORE_URLAUTH_TOKEN_LEN + 1];
	const char *error;

	/* no key yet, and none made without create: nothing verifies */
	assert_int_equal(
		store_urlauth_token(t->acct, "Drafts", false, rump, strlen(rump), t1, &error), 0);
	assert_false(store_urlauth_verify(t->acct, "Drafts", rump, strlen(rump),
					  "0000000000000000000000000000000000000000"));
	token(t->acct, "Drafts", t1);
	token(t->acct, "Drafts", t2);
	assert_string_equal(t1, t2); /* the same key */
	assert_true(store_urlauth_verify(t->acct, "Drafts", rump, strlen(rump), t1));
	/* another rump, another mailbox (its own key) */
	assert_false(store_urlauth_verify(t->acct, "Drafts", rump, strlen(rump) - 1, t1));
	token(t->acct, "Sent", t2);
	assert_string_not_equal(t1, t2);
	assert_false(store_urlauth_verify(t->acct, "Sent", rump, strlen(rump), t1));
	/* no such mailbox */
	assert_int_equal(store_urlauth_token(t->acct, "Nope", true, rump, strlen(rump), t2, &error),
			 0);
	/* a rename keeps the key */
	assert_int_equal(store_mailbox_rename(t->acct, "Drafts", "Drafts2", &error), 0);
	assert_true(store_urlauth_verify(t->acct, "Drafts2", rump, strlen(rump), t1));
	/* RESETKEY of that mailbox: the old token fails, a new one works */
	assert_int_equal(store_urlauth_reset(t->acct, "Drafts2", &error), 0);
	assert_false(store_urlauth_verify(t->acct, "Drafts2", rump, strlen(rump), t1));
	token(t->acct, "Drafts2", t1);
	assert_true(store_urlauth_verify(t->acct, "Drafts2", rump, strlen(rump), t1));
	/* RESETKEY of every mailbox */
	token(t->acct, "Sent", t2);
	assert_int_equal(store_urlauth_reset(t->acct, NULL, &error), 0);
	assert_false(store_urlauth_verify(t->acct, "Drafts2", rump, strlen(rump), t1));
	assert_false(store_urlauth_verify(t->acct, "Sent", rump, strlen(rump), t2));
	assert_int_equal(store_urlauth_reset(t->acct, "Nope", &error), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, test_account_setup,
						test_account_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
