/* The "dkim_sign" stage (see smtp_dkim_sign.h). It runs last, so that it signs the message
 * as the other stages left it; the signature fields go into s->stage_headers, which the
 * delivery puts above our Received: field: they cover the message as it goes out (RFC 6376
 * 5.4: the Received: added here and by later hops is not in h=), as a signing milter's
 * fields would.
 *
 * The body is hashed at end of data, not as it streams: a stage before this one (a milter)
 * may replace the body, and the whole message is in s->msg anyway, so it is the same CPU
 * either way (the canonicalizer and SHA-256 run at a few ns a byte). Signing runs on the
 * loop: ~40 µs for ed25519 and ~280 µs for rsa-2048 per message (src/mailauth/README.md). */
#include "smtp/smtp_dkim_sign.h"

#include <time.h>

#include "conf/settings.h"
#include "log/log.h"
#include "mailauth/dkim_keyring.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"

void
smtp_dkim_sign_end_of_data(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;
	const char *error = NULL;
	char domain[256];
	int ret;

	/* what Postfix with OpenDKIM does: sign what our own users send (AUTH) and what the
	 * relay clients of mynetworks send, never mail coming in from elsewhere; local
	 * deliveries of such mail get the same message */
	if (!set->dkim_sign || !smtp_session_is_trusted(s)) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	ret = dkim_keyring_sign_ours(deps->dkim, set->mydomains, s->msg.data, s->msg.len,
				     time(NULL), &s->stage_headers, domain, &error);
	if (ret < 0)
		/* an unsigned message still goes: refusing our own users' mail over a signature
		 * would be worse than sending it unsigned */
		log_warn("smtp: %s: not DKIM-signed for %s: %s", s->qid, domain, error);
	else if (ret > 0)
		log_debug("smtp: %s: DKIM-signed for %s", s->qid, domain);
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}
