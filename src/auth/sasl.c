/* SASL PLAIN (RFC 4616) and LOGIN response decoding: pure functions over the client's
 * base64 text. Decoded secrets are wiped from temporary buffers before they are freed. */
#include "auth/sasl.h"

#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define SASL_AUTHCID_MAX 255
#define SASL_PASSWD_MAX 1024

bool
sasl_is_cancel(const char *line)
{
	return strcmp(line, "*") == 0;
}

void
sasl_secret_free(char **secret)
{
	if (*secret == NULL)
		return;
	explicit_bzero(*secret, strlen(*secret));
	free(*secret);
	*secret = NULL;
}

static void
buf_wipe_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* Strict base64 into b; "=" alone is the empty response (RFC 4954 4). */
static int
decode(struct buf *b, const char *b64, const char **error_r)
{
	if (strcmp(b64, "=") == 0)
		return 0;
	if (base64_decode(b, b64, strlen(b64)) < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	return 0;
}

int
sasl_plain_parse(const void *msg, size_t len, char **authcid_r, char **passwd_r,
		 const char **error_r)
{
	const char *p = msg, *nul1, *nul2;
	size_t zlen, clen, plen;

	/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
	nul1 = memchr(p, '\0', len);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - p)) : NULL;
	if (nul2 == NULL || memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - p)) != NULL) {
		*error_r = "malformed PLAIN message";
		return -1;
	}
	zlen = (size_t)(nul1 - p);
	clen = (size_t)(nul2 - nul1 - 1);
	plen = len - (size_t)(nul2 + 1 - p);
	if (clen == 0 || plen == 0 || clen > SASL_AUTHCID_MAX || plen > SASL_PASSWD_MAX) {
		*error_r = "empty or too long user name or password";
		return -1;
	}
	/* No proxy authorization: an authzid must name the authcid itself. */
	if (zlen > 0 && (zlen != clen || memcmp(p, nul1 + 1, clen) != 0)) {
		*error_r = "authorization identity differs from authentication identity";
		return -1;
	}
	*authcid_r = xstrndup(nul1 + 1, clen);
	*passwd_r = xstrndup(nul2 + 1, plen);
	return 0;
}

int
sasl_plain_decode(const char *b64, char **authcid_r, char **passwd_r, const char **error_r)
{
	struct buf b = BUF_INIT;
	int ret;

	ret = decode(&b, b64, error_r);
	if (ret == 0)
		ret = sasl_plain_parse(buf_cstr(&b), b.len, authcid_r, passwd_r, error_r);
	buf_wipe_free(&b);
	return ret;
}

int
sasl_login_decode(const char *b64, char **value_r, const char **error_r)
{
	struct buf b = BUF_INIT;
	int ret;

	ret = decode(&b, b64, error_r);
	if (ret == 0 &&
	    (b.len == 0 || b.len > SASL_PASSWD_MAX || memchr(buf_cstr(&b), '\0', b.len) != NULL)) {
		*error_r = "empty, too long or NUL in LOGIN response";
		ret = -1;
	}
	if (ret == 0)
		*value_r = xstrndup(buf_cstr(&b), b.len);
	buf_wipe_free(&b);
	return ret;
}
