/* URLAUTH mailbox access keys (RFC 4467 3, 7): one random key per mailbox of an account,
 * kept in the index (table urlauth_keys, by mailbox id: a rename keeps it, a new mailbox
 * of an old name gets a new one), created when a URL is first generated, replaced by
 * RESETKEY so every URL made before stops working. The INTERNAL mechanism's token is
 * HMAC-SHA1 (RFC 2104) of the URL rump under that key, as 40 lower-case hex digits. */
#ifndef STORE_STORE_URLAUTH_H
#define STORE_STORE_URLAUTH_H
#include <stdbool.h>
#include <stddef.h>

struct store_account;

#define STORE_URLAUTH_TOKEN_LEN 40

/* The token of rump[0..len) for mailbox (create: make the key if it has none). 1 ok
 * (token_r holds 41 bytes, NUL-terminated), 0 no such mailbox or no key, -1 error. */
int store_urlauth_token(struct store_account *acct, const char *mailbox, bool create,
			const char *rump, size_t len, char token_r[STORE_URLAUTH_TOKEN_LEN + 1],
			const char **error_r);
/* Whether token (hex, any case) is the one of rump[0..len) for mailbox: constant time. */
bool store_urlauth_verify(struct store_account *acct, const char *mailbox, const char *rump,
			  size_t len, const char *token);
/* RFC 4467 4: new keys for mailbox, or for every mailbox when NULL. 0 ok, -1 *error_r
 * (STORE_ERR_NONEXISTENT: no such mailbox). */
int store_urlauth_reset(struct store_account *acct, const char *mailbox, const char **error_r);

/* The bytes u names in acct (a read-only view: no \Seen set, no \Recent claimed; a
 * section, a partial range), appended to out. 0 ok; -1 nothing there. */
struct buf;
struct imap_url;
struct store;
int store_url_read(struct store_account *acct, const struct imap_url *u, struct buf *out);
/* An authorized URL (RFC 4467 6.3) for requester (an account; submit: the submission
 * server acting for it, RFC 4468): parse, INTERNAL mechanism, not expired, the access
 * identifier allows requester, the URL's owner account exists, the token verifies, and
 * what it names exists: then its bytes are appended to out (0). Else -1 (IMAP's NIL). */
int store_urlauth_fetch(struct store *store, const char *url, size_t len, const char *requester,
			bool submit, struct buf *out);

/* As store_urlauth_fetch (not for submission), but appends the whole message the URL's
 * UID names, whatever its section and partial: URLFETCH's BINARY and BODYPARTSTRUCTURE
 * (RFC 5524) need the part's MIME header and the parts inside it. */
int store_urlauth_fetch_message(struct store *store, const char *url, size_t len,
				const char *requester, struct buf *out);

/* HMAC-SHA1 of data under key, as hex (pure; exposed for the unit test, RFC 2202). */
void store_urlauth_hmac_hex(const unsigned char *key, size_t key_len, const void *data, size_t len,
			    char out[STORE_URLAUTH_TOKEN_LEN + 1]);

#endif
