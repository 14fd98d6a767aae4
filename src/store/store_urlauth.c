/* URLAUTH mailbox access keys and the INTERNAL mechanism (RFC 4467 3, 7): see
 * store_urlauth.h. */
#include "store/store_urlauth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "db/db.h"
#include "store/store_private.h"
#include "util/rand.h"
#include "util/str.h"

#define KEY_LEN 32 /* RFC 4467 7: at least 128 bits of randomness */

void
store_urlauth_hmac_hex(const unsigned char *key, size_t key_len, const void *data, size_t len,
		       char out[STORE_URLAUTH_TOKEN_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;

	memset(mac, 0, sizeof(mac));
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, key_len, data, len, mac, sizeof(mac),
		      &mac_len) == NULL)
		mac_len = 0;
	for (size_t i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[STORE_URLAUTH_TOKEN_LEN] = '\0';
}

/* The key of mailbox id; 1 found, 0 none, -1 error. */
static int
key_get(struct store_account *acct, uint64_t id, unsigned char key[KEY_LEN])
{
	sqlite3_stmt *st = db_prepare(acct->db, "SELECT key FROM urlauth_keys WHERE mailbox = ?");
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == KEY_LEN) {
		memcpy(key, sqlite3_column_blob(st, 0), KEY_LEN);
		ret = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

static int
key_set(struct store_account *acct, uint64_t id, unsigned char key[KEY_LEN])
{
	sqlite3_stmt *st = db_prepare(acct->db, "INSERT OR REPLACE INTO urlauth_keys"
						" (mailbox, key) VALUES (?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	rand_bytes(key, KEY_LEN);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_blob(st, 2, key, KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	acct->store->dirty = true;
	return 0;
}

int
store_urlauth_token(struct store_account *acct, const char *mailbox, bool create, const char *rump,
		    size_t len, char token_r[STORE_URLAUTH_TOKEN_LEN + 1], const char **error_r)
{
	struct store_mailbox_row row;
	unsigned char key[KEY_LEN];
	int found, ret;

	found = store_mailbox_row_by_name(acct, mailbox, &row);
	if (found <= 0 || row.noselect) {
		if (found > 0)
			store_mailbox_row_free(&row);
		if (found < 0)
			return store_account_fail(acct, STORE_ERR_TEMP, "index read failed",
						  error_r);
		return 0;
	}
	ret = key_get(acct, row.id, key);
	if (ret == 0 && create)
		ret = key_set(acct, row.id, key) == 0 ? 1 : -1;
	store_mailbox_row_free(&row);
	if (ret < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	if (ret == 1)
		store_urlauth_hmac_hex(key, KEY_LEN, rump, len, token_r);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

bool
store_urlauth_verify(struct store_account *acct, const char *mailbox, const char *rump, size_t len,
		     const char *token)
{
	char want[STORE_URLAUTH_TOKEN_LEN + 1], got[STORE_URLAUTH_TOKEN_LEN + 1];
	const char *error;

	if (strlen(token) != STORE_URLAUTH_TOKEN_LEN ||
	    store_urlauth_token(acct, mailbox, false, rump, len, want, &error) != 1)
		return false;
	for (size_t i = 0; i <= STORE_URLAUTH_TOKEN_LEN; i++)
		got[i] = (token[i] >= 'A' && token[i] <= 'F') ? (char)(token[i] + 32) : token[i];
	return CRYPTO_memcmp(want, got, STORE_URLAUTH_TOKEN_LEN) == 0;
}

int
store_urlauth_reset(struct store_account *acct, const char *mailbox, const char **error_r)
{
	struct store_mailbox_row row;
	unsigned char key[KEY_LEN];
	int found, ret;

	if (mailbox == NULL) {
		/* every key goes; new ones are made when URLs are generated again */
		if (db_exec(acct->db, "DELETE FROM urlauth_keys") < 0)
			return store_account_fail(acct, STORE_ERR_TEMP, "index write failed",
						  error_r);
		acct->store->dirty = true;
		return 0;
	}
	found = store_mailbox_row_by_name(acct, mailbox, &row);
	if (found <= 0)
		return store_account_fail(acct, found < 0 ? STORE_ERR_TEMP : STORE_ERR_NONEXISTENT,
					  found < 0 ? "index read failed" : "no such mailbox",
					  error_r);
	ret = key_set(acct, row.id, key);
	OPENSSL_cleanse(key, sizeof(key));
	store_mailbox_row_free(&row);
	if (ret < 0)
		return store_account_fail(acct, STORE_ERR_TEMP, "index write failed", error_r);
	return 0;
}
