/* The admin flag of an account (users.admin, schema step 3 of yubin.db): set by
 * `yubin user add --admin` and `yubin user admin ADDRESS yes|no`, asked by the admin web
 * page at each login. */
#include <stdlib.h>

#include "auth/accounts.h"
#include "auth/accounts_private.h"
#include "db/db.h"

int
accounts_user_set_admin(struct accounts *a, const char *address, bool admin, const char **error_r)
{
	long long flag = admin ? 1 : 0;

	return accounts_user_write(a, address, "UPDATE users SET admin = ?2 WHERE name = ?1", NULL,
				   &flag, error_r);
}

bool
accounts_user_is_admin(struct accounts *a, const char *account)
{
	sqlite3_stmt *st;
	bool admin;

	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "SELECT admin FROM users WHERE name = ?1");
	sqlite3_bind_text(st, 1, account, -1, SQLITE_TRANSIENT);
	admin = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return admin;
}
