/* Reply helpers, query parameters, escaping and the client settings (see
 * http_request.h). */
#include "http/http_request.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "conf/settings.h"
#include "log/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
http_reply(struct http_request *r, int status, const char *content_type, struct buf *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct evbuffer *out = evbuffer_new();
	const char *reason = status == 200   ? "OK"
			     : status == 400 ? "Bad Request"
			     : status == 404 ? "Not Found"
			     : status == 405 ? "Method Not Allowed"
			     : status == 303 ? "See Other"
			     : status == 403 ? "Forbidden"
			     : status == 503 ? "Service Unavailable"
					     : "Error";

	r->status = status;
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (body->len > 0)
		evbuffer_add(out, body->data, body->len);
	evhttp_send_reply(r->req, status, reason, out);
	evbuffer_free(out);
	buf_free(body);
}

void
http_reply_error(struct http_request *r, int status, const char *reason)
{
	struct buf body = BUF_INIT;

	buf_printf(&body, "%d %s\n", status, reason);
	http_reply(r, status, "text/plain; charset=utf-8", &body);
}

char *
http_query_param(const struct http_request *r, const char *name)
{
	struct evkeyvalq q;
	const char *v;
	char *ret = NULL;

	if (r->query == NULL)
		return NULL;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(r->query, &q) == 0 && (v = evhttp_find_header(&q, name)) != NULL)
		ret = xstrdup(v);
	evhttp_clear_headers(&q);
	return ret;
}

const char *
http_header(const struct http_request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

void
http_escape(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_appends(out, "&amp;");
			break;
		case '<':
			buf_appends(out, "&lt;");
			break;
		case '>':
			buf_appends(out, "&gt;");
			break;
		case '"':
			buf_appends(out, "&quot;");
			break;
		case '\'':
			buf_appends(out, "&#39;");
			break;
		default:
			buf_appendc(out, *s);
		}
	}
}

bool
http_address_ok(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t len = strlen(a);

	if (at == NULL || at == a || at[1] == '\0' || len > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("<>\"'&\\", *p) != NULL)
			return false;
	return settings_valid_hostname(at + 1);
}

bool
http_domain_is_ours(const struct settings *s, const char *domain)
{
	for (size_t i = 0; s->mydomains != NULL && s->mydomains[i] != NULL; i++)
		if (str_casecmp(s->mydomains[i], domain) == 0)
			return true;
	return false;
}

static void
add_service(struct http_service *out, size_t *n, const char *proto, const struct listen_list *l,
	    bool implicit_tls)
{
	if (l->n == 0)
		return;
	out[*n].proto = proto;
	out[*n].port = l->addrs[0].port;
	out[*n].implicit_tls = implicit_tls;
	(*n)++;
}

size_t
http_services(const struct settings *s, struct http_service *out)
{
	size_t n = 0;

	add_service(out, &n, "imap", &s->imaps_listen, true);
	add_service(out, &n, "imap", &s->imap_listen, false);
	add_service(out, &n, "pop3", &s->pop3s_listen, true);
	add_service(out, &n, "pop3", &s->pop3_listen, false);
	add_service(out, &n, "smtp", &s->submissions_listen, true);
	add_service(out, &n, "smtp", &s->submission_listen, false);
	return n;
}
