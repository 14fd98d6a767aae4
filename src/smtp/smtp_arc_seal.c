/* ARC sealing of forwarded mail: see smtp_arc_seal.h. */
#include "smtp/smtp_arc_seal.h"

#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "log/log.h"
#include "mailauth/arc_seal.h"
#include "mailauth/dkim_keyring.h"
#include "smtp/smtp_mailauth.h"
#include "smtp/smtp_session.h"

/* The domain the message is forwarded for: the address it was sent to, which is ours and
 * expanded to remote targets (RFC 8617 5.1: the ADMD that handles the message seals). */
static const char *
arc_forwarding_domain(const struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < s->n_rcpts; i++) {
		const char *at = strrchr(s->rcpts[i].address, '@');

		if (s->rcpts[i].remote[0] != NULL && at != NULL)
			return at + 1;
	}
	return NULL;
}

void
smtp_arc_seal_forward(struct smtp_session *s, const struct buf *prefix, struct buf *out)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct smtp_mailauth_verdicts *v = smtp_mailauth_verdicts(s);
	const struct dkim_sign_key *keys, *key;
	const char *domain, *error = NULL;
	struct buf whole = BUF_INIT;
	size_t n;

	/* only mail we checked carries our Authentication-Results with an arc= result; our
	 * own users' mail is DKIM-signed instead */
	if (v == NULL || v->mode != SMTP_MAILAUTH_CHECKED || deps->dkim == NULL)
		return;
	if ((domain = arc_forwarding_domain(s)) == NULL)
		return;
	keys = dkim_keyring_keys(deps->dkim, domain, &n);
	if ((key = arc_seal_key(keys, n)) == NULL) {
		log_debug("smtp: %s: not ARC-sealed: no RSA signing key for %s", s->qid, domain);
		return;
	}
	/* the seal covers the header as it will be sent: our fields on top of the message */
	buf_append(&whole, prefix->data, prefix->len);
	buf_append(&whole, s->msg.data, s->msg.len);
	if (arc_seal_message(key, deps->settings->myhostname, whole.data, whole.len, time(NULL),
			     out, &error) < 0)
		log_warn("smtp: %s: not ARC-sealed for %s: %s", s->qid, domain, error);
	else
		log_info("smtp: %s: ARC-sealed for %s (cv=%s)", s->qid, domain,
			 v->arc_sets > 0 ? arc_cv_name(v->arc) : "none");
	buf_free(&whole);
}
