/* The ACME order as a chain of callbacks on the loop: see acme_client.h. Each step sends
 * one request and names the step that handles its answer; a failure anywhere ends the
 * order, logs why and tries again after acme_check_interval. */
#include "acme/acme_client.h"

#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme/acme_challenge.h"
#include "acme/acme_http.h"
#include "acme/acme_jws.h"
#include "conf/settings.h"
#include "log/log.h"
#include "net/workers.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/xmalloc.h"

/* badNonce is retried with the fresh nonce of the error response (RFC 8555 6.5); a server
 * that keeps refusing is broken, not unlucky (one that refuses 60% of nonces, as the test
 * makes pebble do, fails a request past 20 retries once in 40,000). */
#define ACME_NONCE_RETRIES 20
/* Polling (RFC 8555 7.5.1, 7.4): the server's Retry-After, else this, at most this many
 * times per object (two minutes at the default delay). */
#define ACME_POLL_DELAY 1
#define ACME_POLL_MAX 120

struct acme_client;
typedef void acme_step(struct acme_client *c, struct acme_response *resp);

struct acme_client {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *client_ctx;
	struct workers *workers;
	const struct settings *s;
	acme_cert_cb *cb;
	void *cb_arg;
	char *dir;            /* data_directory/acme */
	char **domains;       /* acme_domains, or myhostname and the names set_names gave */
	char **next_domains;  /* acme_client_set_names(): used from the next check on */
	bool wait_names;      /* no check before the first acme_client_set_names() */
	struct event *timer;  /* the next check, or a poll */
	struct acme_req *req; /* the request in flight */
	bool busy;            /* an order (or its preparation) is running */
	/* prepared on a worker */
	EVP_PKEY *account_key;
	EVP_PKEY *cert_key;
	bool due;              /* the certificate needs an order */
	time_t prep_not_after; /* notAfter as the worker read it */
	bool prep_missing;     /* the certificate lacks one of the names */
	time_t not_after;      /* of the current certificate, 0 if none (loop thread) */
	char *prep_error;
	struct buf chain; /* the downloaded PEM chain, written by a worker */
	/* the order */
	char *thumbprint;
	char *new_nonce_url, *new_account_url, *new_order_url;
	char *nonce, *kid;
	char *order_url, *finalize_url, *cert_url;
	json_t *authzs;
	size_t authz_i;
	unsigned polls;
	/* the signed request being sent */
	char *post_url, *post_payload;
	int post_retries;
	acme_step *post_next;
	acme_step *poll_step; /* what the poll timer re-sends */
	/* for `yubin status` */
	const char *state;
	char last_error[256];
};

static void acme_check(struct acme_client *c);
static void acme_fail(struct acme_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

char *
acme_cert_path(const struct settings *s)
{
	return xasprintf("%s/acme/cert.pem", s->data_directory);
}

char *
acme_key_path(const struct settings *s)
{
	return xasprintf("%s/acme/key.pem", s->data_directory);
}

static void
acme_schedule(struct acme_client *c, unsigned seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(c->timer, &tv);
}

static void
acme_order_reset(struct acme_client *c)
{
	acme_challenge_clear();
	EVP_PKEY_free(c->cert_key);
	c->cert_key = NULL;
	free(c->order_url), c->order_url = NULL;
	free(c->finalize_url), c->finalize_url = NULL;
	free(c->cert_url), c->cert_url = NULL;
	free(c->post_url), c->post_url = NULL;
	free(c->post_payload), c->post_payload = NULL;
	json_decref(c->authzs);
	c->authzs = NULL;
	buf_reset(&c->chain);
	c->busy = false;
	c->poll_step = NULL;
}

static void
acme_fail(struct acme_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	log_error("acme: %s (next try in %u s)", c->last_error, c->s->acme_check_interval);
	acme_order_reset(c);
	c->state = "failed";
	acme_schedule(c, c->s->acme_check_interval);
}

/* The problem document of an error response (RFC 8555 6.7), for the log. */
static void
acme_problem(const struct acme_response *resp, char *out, size_t size, bool *bad_nonce)
{
	json_t *j = json_loadb(resp->body.data, resp->body.len, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *detail = json_string_value(json_object_get(j, "detail"));

	*bad_nonce = type != NULL && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0;
	snprintf(out, size, "HTTP %d %s%s%s", resp->status, type != NULL ? type : "",
		 detail != NULL ? ": " : "", detail != NULL ? detail : "");
	json_decref(j);
}

/* ---- signed requests ---- */

static void acme_post_send(struct acme_client *c);

static void
acme_post_done(struct acme_response *resp, void *arg)
{
	struct acme_client *c = arg;

	c->req = NULL;
	if (resp->nonce != NULL) {
		free(c->nonce);
		c->nonce = xstrdup(resp->nonce);
	}
	if (resp->status == 0) {
		acme_fail(c, "no answer from %s", c->post_url);
		return;
	}
	if (resp->status >= 400) {
		char problem[200];
		bool bad_nonce;
		acme_problem(resp, problem, sizeof(problem), &bad_nonce);
		/* RFC 8555 6.5: retry with the nonce the error carried */
		if (bad_nonce && resp->nonce != NULL && c->post_retries++ < ACME_NONCE_RETRIES) {
			log_info("acme: badNonce from %s, retrying", c->post_url);
			acme_post_send(c);
			return;
		}
		acme_fail(c, "%s: %s", c->post_url, problem);
		return;
	}
	c->post_next(c, resp);
}

static void
acme_post_send(struct acme_client *c)
{
	struct buf jws = BUF_INIT;

	if (acme_jws(&jws, c->account_key, c->kid, c->nonce != NULL ? c->nonce : "", c->post_url,
		     c->post_payload) < 0) {
		buf_free(&jws);
		acme_fail(c, "signing a request failed");
		return;
	}
	c->req = acme_http_request(c->base, c->dns, c->client_ctx, "POST", c->post_url, jws.data,
				   acme_post_done, c);
	buf_free(&jws);
}

/* A JWS POST (payload NULL: POST-as-GET, RFC 8555 6.3); next gets the 2xx answer. */
static void
acme_post(struct acme_client *c, const char *url, const char *payload, acme_step *next)
{
	char *u = xstrdup(url);

	free(c->post_url);
	free(c->post_payload);
	c->post_url = u;
	c->post_payload = payload != NULL ? xstrdup(payload) : NULL;
	c->post_retries = 0;
	c->post_next = next;
	acme_post_send(c);
}

static json_t *
acme_json(struct acme_client *c, const struct acme_response *resp, const char *what)
{
	json_t *j = json_loadb(resp->body.data, resp->body.len, 0, NULL);

	if (!json_is_object(j)) {
		json_decref(j);
		acme_fail(c, "%s: the answer is not a JSON object", what);
		return NULL;
	}
	return j;
}

static void
acme_poll_fire(struct acme_client *c)
{
	acme_step *step = c->poll_step;

	c->poll_step = NULL;
	c->state = "polling";
	step(c, NULL);
}

/* Calls step again after the server's Retry-After (RFC 8555 7.4, 8.2). */
static void
acme_poll_later(struct acme_client *c, const struct acme_response *resp, acme_step *step,
		const char *what)
{
	if (++c->polls > ACME_POLL_MAX) {
		acme_fail(c, "%s: still pending after %u polls", what, ACME_POLL_MAX);
		return;
	}
	unsigned delay = resp->retry_after > 0 ? resp->retry_after : ACME_POLL_DELAY;
	if (delay > 60)
		delay = 60;
	c->poll_step = step;
	acme_schedule(c, delay);
}

/* ---- the steps, in order ---- */

static void acme_authz_next(struct acme_client *c);

/* Back on the loop after a worker's step: an error it left ends the attempt (acme_fail);
 * true then. */
static bool
acme_fail_prepared(struct acme_client *c)
{
	char *e = c->prep_error;

	if (e == NULL)
		return false;
	c->prep_error = NULL;
	acme_fail(c, "%s", e);
	free(e);
	return true;
}

static void
acme_cert_written(void *arg)
{
	struct acme_client *c = arg;

	if (acme_fail_prepared(c))
		return;
	c->not_after = c->prep_not_after;
	char *cert = acme_cert_path(c->s), *key = acme_key_path(c->s);
	log_info("acme: new certificate for %s in %s", c->domains[0], cert);
	c->last_error[0] = '\0';
	c->cb(cert, key, c->cb_arg);
	free(cert);
	free(key);
	acme_order_reset(c);
	c->state = "idle";
	/* the next check reads the new notAfter */
	acme_schedule(c, c->s->acme_check_interval);
}

/* Worker: key.pem then cert.pem, each atomic and durable (a reload between the two sees a
 * mismatched pair, which tls_server_ctx_swap_cert refuses, and the next check fixes). */
static void
acme_cert_write(void *arg)
{
	struct acme_client *c = arg;
	char *cert = acme_cert_path(c->s), *key = acme_key_path(c->s);
	BIO *bio = BIO_new(BIO_s_mem());
	const char *error;
	char *data;
	long n;

	if (bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, c->cert_key, NULL, NULL, 0, NULL, NULL) != 1)
		c->prep_error = xstrdup("cannot encode the certificate key");
	else if ((n = BIO_get_mem_data(bio, &data)) <= 0 ||
		 file_write_atomic(key, data, (size_t)n, true, &error) < 0 ||
		 file_write_atomic(cert, c->chain.data, c->chain.len, true, &error) < 0)
		c->prep_error = xasprintf("cannot write %s: %s", cert, n <= 0 ? "?" : error);
	BIO_free(bio);
	/* the new notAfter, for `yubin status` */
	if (c->prep_error == NULL && (bio = BIO_new_mem_buf(c->chain.data, (int)c->chain.len))) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		struct tm tm;
		if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
			c->prep_not_after = timegm(&tm);
		X509_free(x);
		BIO_free(bio);
	}
	free(cert);
	free(key);
}

static void
acme_got_cert(struct acme_client *c, struct acme_response *resp)
{
	if (strstr(resp->body.data != NULL ? resp->body.data : "", "-----BEGIN CERTIFICATE-----") ==
	    NULL) {
		acme_fail(c, "%s: no PEM certificate in the answer", c->cert_url);
		return;
	}
	buf_reset(&c->chain);
	buf_append(&c->chain, resp->body.data, resp->body.len);
	c->state = "storing";
	workers_submit(c->workers, acme_cert_write, acme_cert_written, c);
}

static void acme_order_poll(struct acme_client *c, struct acme_response *resp);

/* RFC 8555 7.4: the order after finalize: processing (poll), valid (download), invalid. */
static void
acme_order_state(struct acme_client *c, struct acme_response *resp)
{
	json_t *j = acme_json(c, resp, "order");
	if (j == NULL)
		return;
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *cert = json_string_value(json_object_get(j, "certificate"));
	if (status != NULL && strcmp(status, "valid") == 0 && cert != NULL) {
		free(c->cert_url);
		c->cert_url = xstrdup(cert);
		json_decref(j);
		c->state = "downloading";
		acme_post(c, c->cert_url, NULL, acme_got_cert);
		return;
	}
	if (status == NULL || strcmp(status, "invalid") == 0) {
		acme_fail(c, "order %s is %s", c->order_url, status != NULL ? status : "?");
		json_decref(j);
		return;
	}
	json_decref(j);
	acme_poll_later(c, resp, acme_order_poll, "order");
}

static void
acme_order_poll(struct acme_client *c, struct acme_response *resp)
{
	acme_post(c, c->order_url, NULL, acme_order_state);
}

/* The CSR (RFC 2986) for the order's names, signed with a fresh key (RFC 8555 7.4). */
static int
acme_csr(struct acme_client *c, struct buf *out)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	struct buf san = BUF_INIT;
	unsigned char *der = NULL;
	int len = -1;

	for (size_t i = 0; c->domains[i] != NULL; i++)
		buf_printf(&san, "%sDNS:%s", i > 0 ? "," : "", c->domains[i]);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san.data);
	if (req != NULL && exts != NULL && ext != NULL) {
		X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
					   (const unsigned char *)c->domains[0], -1, -1, 0);
		sk_X509_EXTENSION_push(exts, ext);
		ext = NULL;
		if (X509_REQ_add_extensions(req, exts) == 1 &&
		    X509_REQ_set_pubkey(req, c->cert_key) == 1 &&
		    X509_REQ_sign(req, c->cert_key, EVP_sha256()) > 0)
			len = i2d_X509_REQ(req, &der);
	}
	if (len > 0)
		acme_b64url(out, der, (size_t)len);
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	buf_free(&san);
	return len > 0 ? 0 : -1;
}

static void
acme_finalize(struct acme_client *c)
{
	struct buf csr = BUF_INIT, payload = BUF_INIT;

	if (acme_csr(c, &csr) < 0) {
		buf_free(&csr);
		acme_fail(c, "cannot make the CSR");
		return;
	}
	buf_printf(&payload, "{\"csr\":\"%s\"}", csr.data);
	c->state = "finalizing";
	c->polls = 0;
	acme_post(c, c->finalize_url, payload.data, acme_order_state);
	buf_free(&csr);
	buf_free(&payload);
}

static void acme_authz_poll(struct acme_client *c, struct acme_response *resp);

/* The authorization after the challenge was answered: valid (next), pending (poll). */
static void
acme_authz_state(struct acme_client *c, struct acme_response *resp)
{
	json_t *j = acme_json(c, resp, "authorization");
	if (j == NULL)
		return;
	const char *status = json_string_value(json_object_get(j, "status"));
	if (status != NULL && strcmp(status, "valid") == 0) {
		json_decref(j);
		c->authz_i++;
		acme_authz_next(c);
		return;
	}
	if (status == NULL ||
	    (strcmp(status, "pending") != 0 && strcmp(status, "processing") != 0)) {
		/* RFC 8555 7.1.4: the failed challenge's "error" says why */
		json_t *ch;
		size_t i;
		const char *why = NULL;
		json_array_foreach(json_object_get(j, "challenges"), i, ch)
		{
			json_t *e = json_object_get(ch, "error");
			if (e != NULL)
				why = json_string_value(json_object_get(e, "detail"));
		}
		acme_fail(c, "authorization %s is %s%s%s",
			  json_string_value(json_array_get(c->authzs, c->authz_i)),
			  status != NULL ? status : "?", why != NULL ? ": " : "",
			  why != NULL ? why : "");
		json_decref(j);
		return;
	}
	json_decref(j);
	acme_poll_later(c, resp, acme_authz_poll, "authorization");
}

static void
acme_authz_poll(struct acme_client *c, struct acme_response *resp)
{
	acme_post(c, json_string_value(json_array_get(c->authzs, c->authz_i)), NULL,
		  acme_authz_state);
}

static void
acme_challenge_sent(struct acme_client *c, struct acme_response *resp)
{
	c->state = "validating";
	acme_poll_later(c, resp, acme_authz_poll, "authorization");
}

/* One authorization (RFC 8555 7.5): answer its challenge of our type, unless valid. */
static void
acme_authz_got(struct acme_client *c, struct acme_response *resp)
{
	json_t *j = acme_json(c, resp, "authorization");
	if (j == NULL)
		return;
	const char *status = json_string_value(json_object_get(j, "status"));
	const char *domain =
		json_string_value(json_object_get(json_object_get(j, "identifier"), "value"));
	if (status != NULL && strcmp(status, "valid") == 0) {
		json_decref(j);
		c->authz_i++;
		acme_authz_next(c);
		return;
	}
	json_t *ch, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(j, "challenges"), i, ch)
	{
		const char *type = json_string_value(json_object_get(ch, "type"));
		if (type != NULL && strcmp(type, c->s->acme_challenge) == 0)
			found = ch;
	}
	const char *token = json_string_value(json_object_get(found, "token"));
	const char *url = json_string_value(json_object_get(found, "url"));
	if (domain == NULL || token == NULL || url == NULL) {
		acme_fail(c, "authorization for %s offers no %s challenge", domain ? domain : "?",
			  c->s->acme_challenge);
		json_decref(j);
		return;
	}
	/* RFC 8555 8.1: keyAuthorization = token || '.' || base64url(Thumbprint(accountKey)) */
	char *key_auth = xasprintf("%s.%s", token, c->thumbprint);
	int ok = 0;
	if (strcmp(c->s->acme_challenge, "http-01") == 0)
		acme_challenge_http_add(token, key_auth);
	else
		ok = acme_challenge_alpn_add(domain, key_auth);
	free(key_auth);
	if (ok < 0) {
		acme_fail(c, "cannot make the tls-alpn-01 certificate for %s", domain);
		json_decref(j);
		return;
	}
	log_info("acme: answering %s for %s", c->s->acme_challenge, domain);
	c->polls = 0;
	/* RFC 8555 7.5.1: an empty object tells the server to validate */
	acme_post(c, url, "{}", acme_challenge_sent);
	json_decref(j);
}

static void
acme_authz_next(struct acme_client *c)
{
	if (c->authz_i >= json_array_size(c->authzs)) {
		acme_finalize(c);
		return;
	}
	c->state = "authorizing";
	acme_post(c, json_string_value(json_array_get(c->authzs, c->authz_i)), NULL,
		  acme_authz_got);
}

static void
acme_order_created(struct acme_client *c, struct acme_response *resp)
{
	json_t *j = acme_json(c, resp, "newOrder");
	if (j == NULL)
		return;
	const char *fin = json_string_value(json_object_get(j, "finalize"));
	json_t *authzs = json_object_get(j, "authorizations");
	if (resp->location == NULL || fin == NULL || !json_is_array(authzs)) {
		acme_fail(c, "newOrder: no Location, finalize or authorizations");
		json_decref(j);
		return;
	}
	c->order_url = xstrdup(resp->location);
	c->finalize_url = xstrdup(fin);
	c->authzs = json_incref(authzs);
	c->authz_i = 0;
	json_decref(j);
	acme_authz_next(c);
}

static void
acme_account_done(struct acme_client *c, struct acme_response *resp)
{
	if (resp->location == NULL) {
		acme_fail(c, "newAccount: no Location");
		return;
	}
	free(c->kid);
	c->kid = xstrdup(resp->location);
	/* RFC 8555 7.4 */
	json_t *ids = json_array();
	for (size_t i = 0; c->domains[i] != NULL; i++)
		json_array_append_new(
			ids, json_pack("{s:s, s:s}", "type", "dns", "value", c->domains[i]));
	json_t *order = json_pack("{s:o}", "identifiers", ids);
	char *payload = json_dumps(order, JSON_COMPACT);
	json_decref(order);
	c->state = "ordering";
	acme_post(c, c->new_order_url, payload, acme_order_created);
	free(payload);
}

static void
acme_got_nonce(struct acme_response *resp, void *arg)
{
	struct acme_client *c = arg;

	c->req = NULL;
	if (resp->nonce == NULL) {
		acme_fail(c, "newNonce: no Replay-Nonce (HTTP %d)", resp->status);
		return;
	}
	free(c->nonce);
	c->nonce = xstrdup(resp->nonce);
	/* RFC 8555 7.3: with a key already registered, newAccount answers 200 with its URL */
	json_t *acct = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (c->s->acme_email != NULL)
		json_object_set_new(acct, "contact",
				    json_pack("[s+]", "mailto:", c->s->acme_email));
	char *payload = json_dumps(acct, JSON_COMPACT);
	json_decref(acct);
	free(c->kid);
	c->kid = NULL; /* newAccount is signed with the JWK itself */
	c->state = "account";
	acme_post(c, c->new_account_url, payload, acme_account_done);
	free(payload);
}

static void
acme_got_directory(struct acme_response *resp, void *arg)
{
	struct acme_client *c = arg;

	c->req = NULL;
	if (resp->status != 200) {
		acme_fail(c, "directory %s: HTTP %d", c->s->acme_directory, resp->status);
		return;
	}
	json_t *j = acme_json(c, resp, "directory");
	if (j == NULL)
		return;
	const char *nn = json_string_value(json_object_get(j, "newNonce"));
	const char *na = json_string_value(json_object_get(j, "newAccount"));
	const char *no = json_string_value(json_object_get(j, "newOrder"));
	if (nn == NULL || na == NULL || no == NULL) {
		json_decref(j);
		acme_fail(c, "directory %s lacks newNonce, newAccount or newOrder",
			  c->s->acme_directory);
		return;
	}
	free(c->new_nonce_url), c->new_nonce_url = xstrdup(nn);
	free(c->new_account_url), c->new_account_url = xstrdup(na);
	free(c->new_order_url), c->new_order_url = xstrdup(no);
	json_decref(j);
	/* RFC 8555 7.2 */
	c->req = acme_http_request(c->base, c->dns, c->client_ctx, "HEAD", c->new_nonce_url, NULL,
				   acme_got_nonce, c);
}

/* Whether the certificate's subjectAltName has every one of names (case-insensitively; a
 * wildcard is not ours to trust here: an order for the exact name is made). */
static bool
acme_cert_covers(X509 *x, char *const *names)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool all = true;

	for (size_t i = 0; names[i] != NULL && all; i++) {
		bool found = false;

		for (int j = 0; san != NULL && j < sk_GENERAL_NAME_num(san) && !found; j++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, j);
			const unsigned char *d;
			int len;

			if (g->type != GEN_DNS)
				continue;
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			found = len >= 0 && (size_t)len == strlen(names[i]) &&
				strncasecmp((const char *)d, names[i], (size_t)len) == 0;
		}
		all = found;
	}
	GENERAL_NAMES_free(san);
	return all;
}

/* Worker: load or make the account key, read the certificate's notAfter, and make the new
 * certificate's key when an order is due. */
static void
acme_prepare(void *arg)
{
	struct acme_client *c = arg;
	char *path = xasprintf("%s/account.key", c->dir);
	char *cert_path = acme_cert_path(c->s);
	FILE *f;

	if (file_mkdir_p(c->dir, 0700) < 0) {
		c->prep_error = xasprintf("cannot create %s: %s", c->dir, strerror(errno));
		goto out;
	}
	if (c->account_key == NULL && (f = fopen(path, "r")) != NULL) {
		c->account_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (c->account_key == NULL) {
			c->prep_error = xasprintf("%s: not a PEM private key", path);
			goto out;
		}
	}
	if (c->account_key == NULL) {
		BIO *bio = BIO_new(BIO_s_mem());
		const char *error = "cannot encode it";
		char *data;
		long n;
		c->account_key = acme_key_new();
		if (c->account_key == NULL || bio == NULL ||
		    PEM_write_bio_PrivateKey(bio, c->account_key, NULL, NULL, 0, NULL, NULL) != 1 ||
		    (n = BIO_get_mem_data(bio, &data)) <= 0 ||
		    file_write_atomic(path, data, (size_t)n, true, &error) < 0)
			c->prep_error =
				xasprintf("cannot make the account key %s: %s", path, error);
		BIO_free(bio);
		if (c->prep_error != NULL)
			goto out;
	}
	c->prep_not_after = 0;
	c->prep_missing = false;
	if ((f = fopen(cert_path, "r")) != NULL) {
		X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
		struct tm tm;
		fclose(f);
		if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
			c->prep_not_after = timegm(&tm);
		/* a name added since (acme_client_set_names): a new order now, not at renewal */
		c->prep_missing = x != NULL && !acme_cert_covers(x, c->domains);
		X509_free(x);
	}
	c->due = c->prep_not_after == 0 || c->prep_missing ||
		 (long long)c->prep_not_after - (long long)c->s->acme_renew_days * 86400 <=
			 time(NULL);
	if (c->due && (c->cert_key = acme_key_new()) == NULL)
		c->prep_error = xstrdup("cannot make the certificate key");
out:
	free(path);
	free(cert_path);
}

static void
acme_prepared(void *arg)
{
	struct acme_client *c = arg;

	if (acme_fail_prepared(c))
		return;
	c->not_after = c->prep_not_after;
	if (!c->due) {
		log_debug("acme: the certificate is good until %lld", (long long)c->not_after);
		c->busy = false;
		c->state = "idle";
		acme_schedule(c, c->s->acme_check_interval);
		return;
	}
	if (c->thumbprint == NULL) {
		struct buf t = BUF_INIT;
		acme_thumbprint(&t, c->account_key);
		c->thumbprint = buf_steal(&t);
	}
	log_info("acme: ordering a certificate for %s%s from %s%s", c->domains[0],
		 c->domains[1] != NULL ? " and more" : "", c->s->acme_directory,
		 c->prep_missing ? " (a name is not in the current one)" : "");
	c->state = "directory";
	c->req = acme_http_request(c->base, c->dns, c->client_ctx, "GET", c->s->acme_directory,
				   NULL, acme_got_directory, c);
}

static void
acme_names_free(char ***names)
{
	for (size_t i = 0; *names != NULL && (*names)[i] != NULL; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
}

static void
acme_check(struct acme_client *c)
{
	if (c->busy || c->wait_names)
		return;
	/* the list changes only here, between orders: the worker and the order read it */
	if (c->next_domains != NULL) {
		acme_names_free(&c->domains);
		c->domains = c->next_domains;
		c->next_domains = NULL;
	}
	c->busy = true;
	c->state = "checking";
	workers_submit(c->workers, acme_prepare, acme_prepared, c);
}

static void
acme_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acme_client *c = arg;

	if (c->poll_step != NULL) {
		acme_poll_fire(c);
		return;
	}
	acme_check(c);
}

void
acme_client_set_names(struct acme_client *c, const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	acme_names_free(&c->next_domains);
	c->next_domains = xcalloc(n + 2, sizeof(char *));
	c->next_domains[0] = xstrdup(c->s->myhostname);
	for (size_t i = 0; i < n; i++)
		c->next_domains[i + 1] = xstrdup(names[i]);
	c->wait_names = false;
	acme_check(c); /* an order in progress: the timer's next check takes them */
}

struct acme_client *
acme_client_new(struct event_base *base, struct workers *workers, const struct settings *s,
		bool wait_names, acme_cert_cb *cb, void *arg, const char **error_r)
{
	struct acme_client *c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->workers = workers;
	c->s = s;
	c->cb = cb;
	c->cb_arg = arg;
	c->dir = xasprintf("%s/acme", s->data_directory);
	c->domains = s->acme_domains;
	if (c->domains == NULL) {
		c->domains = xcalloc(2, sizeof(char *));
		c->domains[0] = xstrdup(s->myhostname);
	} else {
		size_t n = 0;
		while (s->acme_domains[n] != NULL)
			n++;
		c->domains = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			c->domains[i] = xstrdup(s->acme_domains[i]);
	}
	buf_init(&c->chain);
	c->state = "starting";
	/* RFC 8555 6.1: the directory is HTTPS, verified */
	c->client_ctx = SSL_CTX_new(TLS_client_method());
	if (c->client_ctx == NULL) {
		*error_r = "cannot make the ACME client's TLS context";
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->client_ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->client_ctx, SSL_VERIFY_PEER, NULL);
	if (s->acme_ca_file != NULL
		    ? SSL_CTX_load_verify_locations(c->client_ctx, s->acme_ca_file, NULL) != 1
		    : SSL_CTX_set_default_verify_paths(c->client_ctx) != 1) {
		*error_r = "cannot load acme_ca_file";
		goto fail;
	}
	/* the CA validates on port 80 (http-01) or 443 (tls-alpn-01): without that listener
	 * every order fails, which the admin should read at start, not in 12 hours */
	if (strcmp(s->acme_challenge, "http-01") == 0 && s->http_listen.n == 0)
		log_warn("acme: acme_challenge = http-01 but http_listen is off: orders will fail");
	if (strcmp(s->acme_challenge, "tls-alpn-01") == 0 && s->https_listen.n == 0)
		log_warn("acme: acme_challenge = tls-alpn-01 but https_listen is off: orders will "
			 "fail");
	c->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	c->timer = evtimer_new(base, acme_timer_cb, c);
	c->wait_names = wait_names && s->acme_domains == NULL;
	if (c->wait_names)
		c->state = "looking up names";
	acme_check(c);
	return c;
fail:
	acme_client_free(&c);
	return NULL;
}

void
acme_client_free(struct acme_client **cp)
{
	struct acme_client *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	acme_http_cancel(c->req);
	acme_order_reset(c);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->dns != NULL)
		evdns_base_free(c->dns, 0);
	SSL_CTX_free(c->client_ctx);
	EVP_PKEY_free(c->account_key);
	acme_names_free(&c->domains);
	acme_names_free(&c->next_domains);
	free(c->dir);
	free(c->thumbprint);
	free(c->new_nonce_url);
	free(c->new_account_url);
	free(c->new_order_url);
	free(c->nonce);
	free(c->kid);
	free(c->prep_error);
	buf_free(&c->chain);
	free(c);
}

void
acme_client_status(const struct acme_client *c, struct buf *out)
{
	buf_printf(out, "acme %s", c->state);
	if (c->not_after != 0) {
		char when[32];
		struct tm tm;
		gmtime_r(&c->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		buf_printf(out, ", certificate valid until %s", when);
		time_t due = c->not_after - (time_t)c->s->acme_renew_days * 86400;
		gmtime_r(&due, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		buf_printf(out, ", renewal from %s", when);
	}
	if (c->last_error[0] != '\0')
		buf_printf(out, ", last error: %s", c->last_error);
}
