/* The server's DKIM signing keys (RFC 6376, RFC 8463): every data_directory/dkim/DOMAIN/
 * SELECTOR.pem (made by `yubin dkim keygen`), loaded at start and on reload, and for each
 * domain the key of each algorithm that signs now.
 *
 * Rotation (docs/dkim.md): per domain and algorithm, the newest key (file mtime) whose
 * TXT record SELECTOR._domainkey.DOMAIN is seen in DNS with this key's p= signs; a newer
 * selector whose record is not visible yet waits, so a verifier never meets a signature
 * it cannot check. Until the first answers the oldest key signs (the established one); a
 * domain none of whose keys is published signs with its newest key and logs a warning
 * (first setup: the record is being published; a signature nobody can verify is a DKIM
 * "permerror", which DMARC treats like no signature). The records are checked at load and
 * every `interval` seconds through src/dns on the loop; a DNS failure keeps the last
 * answer.
 *
 *   kr = dkim_keyring_new(dns, 3600);     dns NULL: no checks (the newest key signs)
 *   dkim_keyring_load(kr, "/var/lib/yubin/dkim", &error);    at start and at SIGHUP
 *   keys = dkim_keyring_keys(kr, "example.com", &n);         per message
 *   dkim_keyring_free(&kr);
 */
#ifndef MAILAUTH_DKIM_KEYRING_H
#define MAILAUTH_DKIM_KEYRING_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mailauth/dkim_sign.h"
#include "util/buf.h"

struct dkim_keyring;
struct dns;

/* dns (not owned, may be NULL) is used on its event loop; interval: seconds between
 * record checks (0: only at load). */
struct dkim_keyring *dkim_keyring_new(struct dns *dns, unsigned interval);
void dkim_keyring_free(struct dkim_keyring **kr);

/* (Re)reads every key under dir (DOMAIN/SELECTOR.pem; a missing dir is no keys), replacing
 * the previous set; the DNS state of a key that is still there (same domain, selector and
 * public key) is kept, then every record is checked again. Disk work: call it at start and
 * on reload, not per message. Unreadable key files are logged and skipped. Returns the
 * number of keys loaded. */
size_t dkim_keyring_load(struct dkim_keyring *kr, const char *dir);

/* Starts a check of every key's record now (also done by load and by the timer). */
void dkim_keyring_check(struct dkim_keyring *kr);

/* The keys that sign for domain (ASCII case-insensitive) now, one per algorithm (ed25519
 * first, then rsa), as an array for dkim_sign_finish(); *n_r = 0 and NULL when the domain
 * has no key. Valid until the next load or free: use it at once, do not keep it. */
const struct dkim_sign_key *dkim_keyring_keys(const struct dkim_keyring *kr, const char *domain,
					      size_t *n_r);

/* Copies the keys that sign for domain now into out (the EVP_PKEY shared by reference
 * count, the names duplicated), for work on another thread that a reload must not pull the
 * keys from under; returns how many (0..2). Free each with dkim_sign_key_clear(). OpenSSL
 * allows concurrent signing with one EVP_PKEY. */
size_t dkim_keyring_keys_copy(const struct dkim_keyring *kr, const char *domain,
			      struct dkim_sign_key out[2]);

/* Number of keys loaded. */
size_t dkim_keyring_count(const struct dkim_keyring *kr);

/* ---- signing a message (dkim_keyring_sign.c) ---- */

/* The domain of the message's From: (RFC 5322 3.6.2) when it has exactly one From field
 * whose first address has a domain, lower-cased, into out; false otherwise. */
bool dkim_from_domain(const char *msg, size_t len, char *out, size_t size);

/* Signs msg (header and body, CRLF) for domain with the keys that sign for it now and
 * appends the DKIM-Signature fields to prepend to out. 1 signed; 0 domain has no key;
 * -1 with *error_r (static text) when the signer refused (no From field...). */
int dkim_keyring_sign(const struct dkim_keyring *kr, const char *domain, const char *msg,
		      size_t len, time_t now, struct buf *out, const char **error_r);

/* Signs msg (header and body, CRLF) with keys[0..n) (both the same d=); thread-safe: keys
 * from dkim_keyring_keys_copy() may be used on a worker. 0 ok, -1 with *error_r. */
int dkim_sign_message(const struct dkim_sign_key *keys, size_t n, const char *msg, size_t len,
		      time_t now, struct buf *out, const char **error_r);

/* true when msg's From: domain (dkim_from_domain) is one of mydomains (NULL-terminated,
 * lower-cased) and has keys; the domain is copied to domain (256 octets) when there is one. */
bool dkim_keyring_is_ours(const struct dkim_keyring *kr, char *const *mydomains, const char *msg,
			  size_t len, char domain[256]);

/* Signs msg when its From: domain (dkim_from_domain) is one of mydomains (NULL-terminated,
 * lower-cased) and has keys: as dkim_keyring_sign(), 0 also when the From: domain is not
 * ours; the domain is copied to domain (256 octets) when there is one. */
int dkim_keyring_sign_ours(const struct dkim_keyring *kr, char *const *mydomains, const char *msg,
			   size_t len, time_t now, struct buf *out, char domain[256],
			   const char **error_r);

/* The domain a message of the server itself (a DSN from MAILER-DAEMON@myhostname) is
 * signed for: myhostname if it has keys, else its nearest parent domain with keys (aligned
 * with From: under DMARC's relaxed rule, RFC 7489 3.1.1), else the first of mydomains
 * (NULL-terminated) with keys; NULL if none has keys. */
const char *dkim_keyring_own_domain(const struct dkim_keyring *kr, const char *myhostname,
				    char *const *mydomains);

#endif
