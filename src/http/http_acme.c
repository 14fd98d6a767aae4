/* ACME http-01 (RFC 8555 8.3): GET /.well-known/acme-challenge/TOKEN answers the key
 * authorization src/acme's client put in place for TOKEN, as application/octet-stream. */
#include <string.h>

#include "acme/acme_challenge.h"
#include "http/http_request.h"

#define ACME_PREFIX "/.well-known/acme-challenge/"

void
http_acme_challenge(struct http_request *r)
{
	const char *token = r->path + strlen(ACME_PREFIX);
	const char *key_auth = acme_challenge_http_get(token);
	struct buf body = BUF_INIT;

	if (key_auth == NULL) {
		http_reply_error(r, 404, "Not Found");
		return;
	}
	buf_appends(&body, key_auth);
	http_reply(r, 200, "application/octet-stream", &body);
}
