/* Per-account storage limits (users.quota, schema step 2 of yubin.db): set by the admin
 * command, read from the in-memory copy at every RCPT and IMAP quota check. */
#include <stdlib.h>

#include "auth/accounts.h"
#include "auth/accounts_private.h"
#include "conf/settings.h"
#include "db/db.h"

int
accounts_user_set_quota(struct accounts *a, const char *address, long long bytes,
			const char **error_r)
{
	return accounts_user_write(a, address, "UPDATE users SET quota = ?2 WHERE name = ?1", NULL,
				   bytes >= 0 ? &bytes : NULL, error_r);
}

int
accounts_user_quota(struct accounts *a, const char *account, unsigned long long *bytes_r)
{
	bool found;

	pthread_mutex_lock(&a->lock);
	found = accounts_cache_refresh(a) == 0 && accounts_cache_quota(a, account, bytes_r);
	pthread_mutex_unlock(&a->lock);
	return found ? 1 : 0;
}

unsigned long long
accounts_quota_limit(struct accounts *a, const char *account)
{
	unsigned long long bytes;

	if (accounts_user_quota(a, account, &bytes) == 1)
		return bytes;
	return a->set->mailbox_quota;
}
