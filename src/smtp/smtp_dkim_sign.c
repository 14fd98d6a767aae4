/* The "dkim_sign" stage (see smtp_dkim_sign.h). It runs last, so that it signs the message
 * as the other stages left it; the signature fields go into s->stage_headers, which the
 * delivery puts above our Received: field: they cover the message as it goes out (RFC 6376
 * 5.4: the Received: added here and by later hops is not in h=), as a signing milter's
 * fields would.
 *
 * The body is hashed at end of data, not as it streams: a stage before this one (a milter)
 * may replace the body, and the whole message is in s->msg anyway, so it is the same CPU
 * either way (the canonicalizer and SHA-256 run at a few ns a byte).
 *
 * The signing itself (~0.3 ms for ed25519 + rsa-2048, nearly all of it RSA) runs on a
 * worker thread, with its own references to the keys (a SIGHUP reload may replace them
 * meanwhile): the loop keeps serving the other sessions, and both cores sign. The session
 * is paused until the worker is done, so s->msg does not change under it. */
#include "smtp/smtp_dkim_sign.h"

#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "log/log.h"
#include "mailauth/dkim_keyring.h"
#include "net/workers.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_stage.h"
#include "util/xmalloc.h"

struct dkim_sign_job {
	struct smtp_session *s;
	struct dkim_sign_key keys[2];
	size_t n_keys;
	char domain[256];
	time_t now;
	struct buf out;
	int ret;
	const char *error; /* static text */
};

/* On a worker: reads s->msg (the session is paused), writes only the job. */
static void
dkim_sign_work(void *arg)
{
	struct dkim_sign_job *job = arg;

	job->ret = dkim_sign_message(job->keys, job->n_keys, job->s->msg.data, job->s->msg.len,
				     job->now, &job->out, &job->error);
}

static void
dkim_sign_done(void *arg)
{
	struct dkim_sign_job *job = arg;
	struct smtp_session *s = job->s;

	if (job->ret < 0)
		/* an unsigned message still goes: refusing our own users' mail over a signature
		 * would be worse than sending it unsigned */
		log_warn("smtp: %s: not DKIM-signed for %s: %s", s->qid, job->domain, job->error);
	else if (!s->base.conn_gone)
		buf_append(&s->stage_headers, job->out.data, job->out.len);
	for (size_t i = 0; i < job->n_keys; i++)
		dkim_sign_key_clear(&job->keys[i]);
	buf_free(&job->out);
	free(job);
	/* the session may be gone (the client left): smtp_stage_done() copes */
	smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
}

void
smtp_dkim_sign_end_of_data(struct smtp_session *s)
{
	const struct smtp_server_deps *deps = smtp_server_deps(s->server);
	const struct settings *set = deps->settings;
	struct dkim_sign_job *job;
	char domain[256];

	/* what Postfix with OpenDKIM does: sign what our own users send (AUTH) and what the
	 * relay clients of mynetworks send, never mail coming in from elsewhere; local
	 * deliveries of such mail get the same message */
	if (!set->dkim_sign || !smtp_session_is_trusted(s) ||
	    !dkim_keyring_is_ours(deps->dkim, set->mydomains, s->msg.data, s->msg.len, domain)) {
		smtp_stage_done(s, SMTP_STAGE_CONTINUE, NULL, NULL);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->s = s;
	job->n_keys = dkim_keyring_keys_copy(deps->dkim, domain, job->keys);
	memcpy(job->domain, domain, sizeof(job->domain));
	job->now = time(NULL);
	if (deps->workers == NULL) {
		dkim_sign_work(job);
		dkim_sign_done(job);
		return;
	}
	workers_submit(deps->workers, dkim_sign_work, dkim_sign_done, job);
}
