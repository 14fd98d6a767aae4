/* POP3 logins: USER/PASS and AUTH PLAIN (RFC 5034) through the shared login flow of
 * auth_login.h (worker thread, failure delays, clear text only over TLS or loopback). */
#include <stdlib.h>

#include "auth/auth_login.h"
#include "auth/sasl.h"
#include "log/log.h"
#include "net/conn.h"
#include "pop3/pop3_session.h"

bool
pop3_auth_plaintext_allowed(const struct pop3_session *s)
{
	return auth_plaintext_allowed(conn_is_tls(s->base.conn), conn_peer(s->base.conn));
}

static void
pop3_auth_done(void *ctx, int result, const char *user)
{
	struct pop3_session *s = ctx;

	if (!pop3_session_async_done(s))
		return;
	if (result == 1) {
		pop3_session_login(s, user);
	} else if (result == 0) {
		log_info("pop3: %s: client=[%s] authentication failed user=%s", s->base.id,
			 s->base.ip, user);
		pop3_reply_err(s, "-ERR [AUTH] Authentication failed");
	} else {
		pop3_reply_err(s, "-ERR [SYS/TEMP] Temporary authentication failure");
	}
	pop3_session_resume(s);
}

void
pop3_auth_check(struct pop3_session *s, char *user, char *password)
{
	const struct pop3_server_deps *deps = pop3_server_deps(s->server);
	struct auth_login_deps login = {deps->base, deps->accounts, deps->workers, deps->penalty};

	pop3_session_async_begin(s);
	auth_login_check(&login, conn_peer(s->base.conn), user, password, pop3_auth_done, s);
}

void
pop3_auth_continue(struct pop3_session *s, const char *line)
{
	char *user, *password;
	const char *error;

	free(s->sasl_mech);
	s->sasl_mech = NULL;
	if (sasl_is_cancel(line)) {
		pop3_reply_err(s, "-ERR Authentication aborted");
		return;
	}
	if (sasl_plain_decode(line, &user, &password, &error) < 0) {
		pop3_reply_err(s, "-ERR [AUTH] %s", error);
		return;
	}
	pop3_auth_check(s, user, password);
}
