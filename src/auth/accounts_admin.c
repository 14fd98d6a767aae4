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
	char *name = accounts_addr_name(address);
	sqlite3_stmt *st;
	int changes;

	if (name == NULL) {
		*error_r = "malformed address (expected local@domain)";
		return -1;
	}
	pthread_mutex_lock(&a->lock);
	st = db_prepare(a->db, "UPDATE users SET admin = ?2 WHERE name = ?1");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, admin ? 1 : 0);
	changes = accounts_db_write_durable(a, st);
	pthread_mutex_unlock(&a->lock);
	free(name);
	if (changes < 0)
		*error_r = "database write failed";
	else if (changes == 0)
		*error_r = "no such account";
	return changes == 1 ? 0 : -1;
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
