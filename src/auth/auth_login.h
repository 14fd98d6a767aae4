/* The password login flow shared by SMTP AUTH, POP3 and IMAP: the slow hash check runs on
 * a worker thread, a failure is answered only after the growing per-address delay of
 * penalty.h, and the result comes back on the loop thread. Also Dovecot's rule for
 * clear-text passwords. */
#ifndef AUTH_AUTH_LOGIN_H
#define AUTH_AUTH_LOGIN_H
#include <stdbool.h>
#include <sys/socket.h>

struct accounts;
struct event_base;
struct penalty;
struct workers;

struct auth_login_deps {
	struct event_base *base;
	struct accounts *accounts;
	struct workers *workers;
	struct penalty *penalty; /* may be NULL: no delays */
};

/* result: 1 ok, 0 wrong user or password (after the delay), -1 internal error. user is
 * the canonical account name on success (the name as typed otherwise); it stays valid
 * only during the call. */
typedef void auth_login_cb(void *ctx, int result, const char *user);

/* Takes ownership of user and password (the password is wiped when done). peer is
 * copied. cb runs later on the loop thread, never inside this call; ctx must stay valid
 * until then (sessions hold themselves alive across the step). */
void auth_login_check(const struct auth_login_deps *deps, const struct sockaddr *peer, char *user,
		      char *password, auth_login_cb *cb, void *ctx);

/* Passwords in clear are accepted over TLS, or from loopback (Dovecot's
 * disable_plaintext_auth rule): a local client cannot be eavesdropped. */
bool auth_plaintext_allowed(bool tls, const struct sockaddr *peer);

#endif
