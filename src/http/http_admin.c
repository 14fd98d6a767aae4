/* The admin web page's login, sessions and actions (the page itself is
 * http_admin_page.c). Who may see it: accounts flagged admin (`yubin user admin ADDRESS
 * yes`), logged in with their password through the same check as IMAP/SMTP logins
 * (auth_login_check(): a worker thread, the per-address delay and the login bans, a
 * failure counted in yubin_login_failures_total). Where: https_listen, or http_listen
 * from a loopback client only (a password in clear is accepted from loopback only, as for
 * the mail protocols: auth_plaintext_allowed()).
 *
 * A session is a random 32-byte token (hex) in the cookie `yubin_admin` (HttpOnly,
 * SameSite=Strict, Secure on HTTPS, Path=/admin), kept in memory only (a restart logs
 * everyone out), ended after admin_session_timeout of idleness, at most admin_max_sessions
 * at once (the least recently used goes). Every POST carries a CSRF token in a hidden
 * field: the session's own (a second random value, never in a cookie), or for the login
 * form a value also set in the cookie `yubin_admin_login` (double submit), compared in
 * constant time. A POST without the right token is refused with 403 and does nothing. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "auth/accounts.h"
#include "auth/auth_login.h"
#include "conf/settings.h"
#include "http/http_admin.h"
#include "http/http_request.h"
#include "log/log.h"
#include "queue/queue.h"
#include "queue/queue_admin.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define COOKIE_SESSION "yubin_admin"
#define COOKIE_LOGIN "yubin_admin_login"

struct admin_session {
	char token[HTTP_ADMIN_TOKEN_HEX + 1];
	char csrf[HTTP_ADMIN_TOKEN_HEX + 1];
	char *account;
	time_t last_used;
};

struct http_admin {
	struct admin_session *sessions;
	size_t n;
	struct http_dnscheck *dnscheck; /* the last DNS check (http_admin_dns.c) */
};

struct http_admin *
http_admin_new(void)
{
	return xcalloc(1, sizeof(struct http_admin));
}

void
http_admin_free(struct http_admin **ap)
{
	struct http_admin *a = *ap;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->sessions[i].account);
	free(a->sessions);
	http_dnscheck_free(&a->dnscheck);
	free(a);
	*ap = NULL;
}

struct http_dnscheck **
http_admin_dnscheck(struct http_admin *a)
{
	return &a->dnscheck;
}

/* 32 random bytes as 64 lower-case hex digits. */
static void
random_token(char out[HTTP_ADMIN_TOKEN_HEX + 1])
{
	unsigned char b[HTTP_ADMIN_TOKEN_HEX / 2];

	rand_bytes(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool
token_equal(const char *want, const char *got)
{
	return got != NULL && strlen(got) == HTTP_ADMIN_TOKEN_HEX &&
	       CRYPTO_memcmp(want, got, HTTP_ADMIN_TOKEN_HEX) == 0;
}

static void
session_drop(struct http_admin *a, size_t i)
{
	free(a->sessions[i].account);
	a->sessions[i] = a->sessions[--a->n];
}

/* The value of a cookie of the request (RFC 6265 5.4: "name=value; name=value"), copied
 * into out (at most HTTP_ADMIN_TOKEN_HEX characters), or false. */
static bool
cookie_value(const struct http_request *r, const char *name, char out[HTTP_ADMIN_TOKEN_HEX + 1])
{
	const char *h = http_header(r, "Cookie"), *p;
	size_t n = strlen(name);

	for (p = h; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t len = strcspn(p + n + 1, "; ");
			if (len != HTTP_ADMIN_TOKEN_HEX)
				return false;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}

struct admin_session *
http_admin_session(struct http_request *r)
{
	struct http_admin *a = r->admin;
	char token[HTTP_ADMIN_TOKEN_HEX + 1];
	time_t now = time(NULL);
	unsigned idle = r->deps->settings->admin_session_timeout;

	/* expired sessions go first, whoever asks */
	for (size_t i = 0; i < a->n;)
		if (now - a->sessions[i].last_used >= (time_t)idle)
			session_drop(a, i);
		else
			i++;
	if (!cookie_value(r, COOKIE_SESSION, token))
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (token_equal(a->sessions[i].token, token)) {
			a->sessions[i].last_used = now;
			return &a->sessions[i];
		}
	return NULL;
}

const char *
http_admin_session_account(const struct admin_session *s)
{
	return s->account;
}

const char *
http_admin_session_csrf(const struct admin_session *s)
{
	return s->csrf;
}

static struct admin_session *
session_new(struct http_admin *a, const struct settings *set, const char *account)
{
	struct admin_session *s;

	if (a->n >= set->admin_max_sessions && a->n > 0) {
		size_t oldest = 0;
		for (size_t i = 1; i < a->n; i++)
			if (a->sessions[i].last_used < a->sessions[oldest].last_used)
				oldest = i;
		session_drop(a, oldest);
	}
	a->sessions = xrealloc(a->sessions, (a->n + 1) * sizeof(*a->sessions));
	s = &a->sessions[a->n++];
	random_token(s->token);
	random_token(s->csrf);
	s->account = xstrdup(account);
	s->last_used = time(NULL);
	return s;
}

bool
http_admin_allowed(const struct http_request *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
	const struct sockaddr *peer = evcon != NULL ? evhttp_connection_get_addr(evcon) : NULL;

	return r->tls || (peer != NULL && auth_plaintext_allowed(false, peer));
}

void
http_admin_headers(struct http_request *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	/* no script, no frames, no outside resources; forms post to ourselves only */
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
			  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
}

static void
set_cookie(struct http_request *r, const char *name, const char *value, bool expire)
{
	struct buf c = BUF_INIT;

	buf_printf(&c, "%s=%s; Path=/admin; HttpOnly; SameSite=Strict%s%s", name, value,
		   r->tls ? "; Secure" : "", expire ? "; Max-Age=0" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Set-Cookie", buf_cstr(&c));
	buf_free(&c);
}

/* 303 to the page (RFC 9110 15.4.4: the browser GETs it). */
static void
see_other(struct http_request *r, const char *where)
{
	struct buf empty = BUF_INIT;

	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", where);
	http_reply(r, 303, "text/plain; charset=utf-8", &empty);
}

/* The login form with a fresh double-submit token; status 200, or 403 after a refusal
 * (message says why). */
static void
login_form(struct http_request *r, int status, const char *message)
{
	char token[HTTP_ADMIN_TOKEN_HEX + 1];
	struct buf x = BUF_INIT;

	random_token(token);
	set_cookie(r, COOKIE_LOGIN, token, false);
	http_admin_page_head(&x, "yubin admin: log in");
	buf_appends(&x, "<h1>yubin admin</h1>\n");
	if (message != NULL) {
		buf_appends(&x, "<p class=\"error\" id=\"login-error\">");
		http_escape(&x, message);
		buf_appends(&x, "</p>\n");
	}
	buf_appends(&x, "<form method=\"post\" action=\"/admin/login\" id=\"login\">\n"
			"<input type=\"hidden\" name=\"csrf\" value=\"");
	buf_appends(&x, token);
	buf_appends(&x,
		    "\">\n<p><label>Address <input name=\"address\" type=\"email\" "
		    "autocomplete=\"username\" required></label></p>\n"
		    "<p><label>Password <input name=\"password\" type=\"password\" "
		    "autocomplete=\"current-password\" required></label></p>\n"
		    "<p><button type=\"submit\">Log in</button></p>\n</form>\n</body></html>\n");
	http_admin_headers(r);
	http_reply(r, status, "text/html; charset=utf-8", &x);
}

/* ---- form bodies ---- */

/* The value of name in the request's x-www-form-urlencoded body, decoded (malloc'ed), or
 * NULL. */
static char *
form_param(const struct http_request *r, const char *name)
{
	struct evkeyvalq q;
	const char *v;
	char *ret = NULL;

	if (r->body == NULL || strlen(r->body) != r->body_len)
		return NULL;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(r->body, &q) == 0 && (v = evhttp_find_header(&q, name)) != NULL)
		ret = xstrdup(v);
	evhttp_clear_headers(&q);
	return ret;
}

/* ---- login ---- */

struct login_job {
	struct evhttp_request *req;
	struct http_admin *admin;
	const struct http_deps *deps;
	bool tls;
};

static void
login_done(void *ctx, int result, const char *user)
{
	struct login_job *job = ctx;
	struct http_request r;
	struct admin_session *s;

	memset(&r, 0, sizeof(r));
	r.req = job->req;
	r.deps = job->deps;
	r.admin = job->admin;
	r.site = HTTP_SITE_WEB;
	r.tls = job->tls;
	if (result == 1 && !accounts_user_is_admin(job->deps->accounts, user)) {
		log_info("http: admin: %s logged in, but is not an admin: refused", user);
		login_form(&r, 403, "This account may not use the admin page.");
	} else if (result == 1) {
		s = session_new(job->admin, job->deps->settings, user);
		log_info("http: admin: %s logged in", user);
		set_cookie(&r, COOKIE_SESSION, s->token, false);
		set_cookie(&r, COOKIE_LOGIN, "", true);
		see_other(&r, "/admin");
	} else {
		log_info("http: admin: login of %s failed%s", user,
			 result < 0 ? " (banned or internal error)" : "");
		login_form(&r, 403,
			   result < 0 ? "Logins from your address are refused for now."
				      : "Wrong address or password.");
	}
	free(job);
}

static bool
login_name_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void
admin_login(struct http_request *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->req);
	const struct sockaddr *peer = evcon != NULL ? evhttp_connection_get_addr(evcon) : NULL;
	char cookie[HTTP_ADMIN_TOKEN_HEX + 1];
	char *csrf = form_param(r, "csrf"), *user = form_param(r, "address");
	char *password = form_param(r, "password");
	struct auth_login_deps ld = {r->deps->base, r->deps->accounts, r->deps->workers,
				     r->deps->penalty};
	struct login_job *job;

	if (!cookie_value(r, COOKIE_LOGIN, cookie) || !token_equal(cookie, csrf)) {
		http_reply_error(r, 403, "Forbidden (missing or wrong CSRF token)");
		goto out;
	}
	/* the address goes into log lines: one line, bounded (RFC 5321 4.5.3.1.3) */
	if (user == NULL || password == NULL || peer == NULL || *user == '\0' ||
	    strlen(user) > 254 || !login_name_printable(user)) {
		login_form(r, 403, "Wrong address or password.");
		goto out;
	}
	job = xcalloc(1, sizeof(*job));
	job->req = r->req;
	job->admin = r->admin;
	job->deps = r->deps;
	job->tls = r->tls;
	/* evhttp keeps the request until it is answered, even if the client goes away */
	auth_login_check(&ld, peer, user, password, login_done, job);
	user = password = NULL; /* taken */
out:
	free(csrf);
	free(user);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

/* ---- the actions of a session ---- */

static void
admin_queue_action(struct http_request *r, struct admin_session *s)
{
	char *action = form_param(r, "action"), *id = form_param(r, "id");
	enum queue_admin_op op;
	const char *error;
	int done;

	if (action == NULL || queue_admin_op_parse(action, &op) < 0 ||
	    (op != QUEUE_ADMIN_FLUSH && (id == NULL || !queue_admin_qid_valid(id)))) {
		http_reply_error(r, 400, "Bad Request");
		goto out;
	}
	done = queue_admin_change(r->deps->settings->data_directory, op,
				  op == QUEUE_ADMIN_FLUSH ? NULL : id, &error);
	log_info("http: admin: %s: queue %s%s%s: %s", s->account, action,
		 op == QUEUE_ADMIN_FLUSH ? "" : " ", op == QUEUE_ADMIN_FLUSH ? "" : id,
		 done > 0    ? "done"
		 : done == 0 ? "no such message"
			     : error);
	if (done < 0) {
		http_reply_error(r, 500, "the queue index could not be changed");
		goto out;
	}
	/* as the control socket's `queue flush`: the server re-reads the index */
	if (r->deps->queue != NULL)
		queue_flush(r->deps->queue);
	see_other(r, done > 0 ? "/admin#queue" : "/admin?gone=1#queue");
out:
	free(action);
	free(id);
}

/* Not for this client (a non-loopback client on http_listen) or no accounts to log in
 * with: answered (403 / 503), true. */
static bool
admin_refused(struct http_request *r)
{
	if (!http_admin_allowed(r)) {
		http_reply_error(r, 403, "Forbidden (the admin page is on https_listen)");
		return true;
	}
	if (r->deps->accounts == NULL) {
		http_reply_error(r, 503, "Service Unavailable");
		return true;
	}
	return false;
}

void
http_admin_get(struct http_request *r)
{
	struct admin_session *s;

	if (admin_refused(r))
		return;
	s = http_admin_session(r);
	if (s == NULL) {
		login_form(r, 200, NULL);
		return;
	}
	http_admin_page(r, s);
}

void
http_admin_post(struct http_request *r)
{
	struct admin_session *s;
	char *csrf;

	if (admin_refused(r))
		return;
	if (strcmp(r->path, "/admin/login") == 0) {
		admin_login(r);
		return;
	}
	s = http_admin_session(r);
	csrf = form_param(r, "csrf");
	if (s == NULL || !token_equal(s->csrf, csrf)) {
		http_reply_error(r, 403,
				 s == NULL ? "Forbidden (not logged in)"
					   : "Forbidden (missing or wrong CSRF token)");
		free(csrf);
		return;
	}
	free(csrf);
	if (strcmp(r->path, "/admin/logout") == 0) {
		log_info("http: admin: %s logged out", s->account);
		session_drop(r->admin, (size_t)(s - r->admin->sessions));
		set_cookie(r, COOKIE_SESSION, "", true);
		see_other(r, "/admin");
	} else if (strcmp(r->path, "/admin/queue") == 0) {
		admin_queue_action(r, s);
	} else if (strcmp(r->path, "/admin/dnscheck") == 0) {
		http_dnscheck_start(r);
		see_other(r, "/admin#dns");
	} else {
		http_reply_error(r, 404, "Not Found");
	}
}
