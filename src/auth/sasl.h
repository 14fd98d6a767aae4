/* SASL mechanisms PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) as pure
 * helpers over the base64 text of a client response: no I/O, shared by SMTP AUTH
 * (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 9051). */
#ifndef AUTH_SASL_H
#define AUTH_SASL_H
#include <stdbool.h>
#include <stddef.h>

/* The LOGIN server challenges, base64 of "Username:" and "Password:". */
#define SASL_LOGIN_CHALLENGE_USER "VXNlcm5hbWU6"
#define SASL_LOGIN_CHALLENGE_PASS "UGFzc3dvcmQ6"

/* Whether a client response line cancels the exchange ("*", RFC 4954 4). */
bool sasl_is_cancel(const char *line);

/* Parses a decoded PLAIN message "[authzid] NUL authcid NUL passwd" (RFC 4616 2).
 * authzid, when given, must equal authcid (no proxy authorization). authcid (at most
 * 255 octets) and passwd (at most 1024) must be non-empty and contain no NUL. 0 ok with
 * malloc'ed *authcid_r / *passwd_r; -1 with *error_r (static text). */
int sasl_plain_parse(const void *msg, size_t len, char **authcid_r, char **passwd_r,
		     const char **error_r);
/* Same from the base64 client response (strict base64; "=" means an empty response,
 * RFC 4954 4, which PLAIN rejects). */
int sasl_plain_decode(const char *b64, char **authcid_r, char **passwd_r, const char **error_r);
/* Decodes one LOGIN response (username or password): strict base64, non-empty, no NUL,
 * at most 1024 octets. 0 ok with malloc'ed *value_r; -1 with *error_r. */
int sasl_login_decode(const char *b64, char **value_r, const char **error_r);
/* Wipes and frees a secret (password) and sets *secret to NULL. */
void sasl_secret_free(char **secret);

#endif
