/* The settings page for people: what to type into any mail program (server, port,
 * security, user name) for receiving (IMAP, POP3) and sending, in English or Japanese
 * by Accept-Language. Plain HTML, no script; everything that comes from the request or
 * the config is escaped (http_escape). */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "http/http_lang.h"
#include "http/http_request.h"
#include "util/xmalloc.h"

struct page_text {
	const char *lang, *title, *intro, *receive, *send, *server, *port, *security, *username,
		*username_any, *password, *password_text, *ssl, *starttls, *profile, *form, *button,
		*none;
};

static const struct page_text texts[] = {
	[HTTP_LANG_EN] = {"en", "Mail settings", "Type these settings into your mail program.",
			  "Receiving mail", "Sending mail", "Server", "Port", "Security",
			  "User name", "your full email address", "Password",
			  "the password of your account", "SSL/TLS", "STARTTLS",
			  "Download the settings for iPhone, iPad and Mac", "Your email address",
			  "Show", "This server offers no mail service."},
	[HTTP_LANG_JA] = {"ja", "メールの設定", "メールソフトに次の設定を入力してください。",
			  "受信", "送信", "サーバー", "ポート", "セキュリティ", "ユーザー名",
			  "メールアドレス（全体）", "パスワード", "アカウントのパスワード",
			  "SSL/TLS", "STARTTLS", "iPhone・iPad・Mac 用の設定をダウンロード",
			  "メールアドレス", "表示", "このサーバーにはメールサービスがありません。"},
};

static void
row(struct buf *x, const char *label, const char *value)
{
	buf_appends(x, "<tr><th>");
	http_escape(x, label);
	buf_appends(x, "</th><td>");
	http_escape(x, value);
	buf_appends(x, "</td></tr>\n");
}

static void
service_table(struct buf *x, const struct page_text *t, const struct settings *s,
	      const struct http_service *sv, const char *address)
{
	char port[16];

	snprintf(port, sizeof(port), "%u", sv->port);
	buf_appends(x, "<table>\n<caption>");
	http_escape(x, strcmp(sv->proto, "imap") == 0   ? "IMAP"
		       : strcmp(sv->proto, "pop3") == 0 ? "POP3"
							: "SMTP");
	buf_appends(x, "</caption>\n");
	row(x, t->server, s->myhostname);
	row(x, t->port, port);
	row(x, t->security, sv->implicit_tls ? t->ssl : t->starttls);
	row(x, t->username, *address != '\0' ? address : t->username_any);
	row(x, t->password, t->password_text);
	buf_appends(x, "</table>\n");
}

void
http_settings_page(struct http_request *r)
{
	const struct settings *s = r->deps->settings;
	const struct page_text *t = &texts[http_lang_pick(http_header(r, "Accept-Language"))];
	struct http_service sv[6];
	size_t n = http_services(s, sv);
	char *a = http_query_param(r, "emailaddress");
	struct buf x = BUF_INIT;
	bool any_in = false, any_out = false;

	if (a != NULL && (!http_address_ok(a) || !http_domain_is_ours(s, strrchr(a, '@') + 1))) {
		free(a);
		a = NULL; /* not ours or malformed: the generic page */
	}
	if (a == NULL)
		a = xstrdup("");
	buf_printf(&x,
		   "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>",
		   t->lang);
	http_escape(&x, t->title);
	buf_appends(&x, " - ");
	http_escape(&x, s->myhostname);
	buf_appends(&x, "</title>\n<style>body{font-family:sans-serif;max-width:40em;margin:2em "
			"auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0;width:100%}"
			"caption{text-align:left;font-weight:bold}th,td{border:1px solid #ccc;"
			"padding:.3em .6em;text-align:left}th{width:35%}</style>\n</head>\n<body>\n"
			"<h1>");
	http_escape(&x, t->title);
	buf_appends(&x, "</h1>\n<p>");
	http_escape(&x, t->intro);
	buf_appends(&x, "</p>\n<form method=\"get\" action=\"/\"><label>");
	http_escape(&x, t->form);
	buf_appends(&x, " <input type=\"email\" name=\"emailaddress\" value=\"");
	http_escape(&x, a);
	buf_appends(&x, "\"></label> <button>");
	http_escape(&x, t->button);
	buf_appends(&x, "</button></form>\n<h2>");
	http_escape(&x, t->receive);
	buf_appends(&x, "</h2>\n");
	for (size_t i = 0; i < n; i++)
		if (strcmp(sv[i].proto, "smtp") != 0) {
			service_table(&x, t, s, &sv[i], a);
			any_in = true;
		}
	buf_appends(&x, "<h2>");
	http_escape(&x, t->send);
	buf_appends(&x, "</h2>\n");
	for (size_t i = 0; i < n; i++)
		if (strcmp(sv[i].proto, "smtp") == 0) {
			service_table(&x, t, s, &sv[i], a);
			any_out = true;
		}
	if (!any_in && !any_out) {
		buf_appends(&x, "<p>");
		http_escape(&x, t->none);
		buf_appends(&x, "</p>\n");
	}
	if (*a != '\0' && any_in && any_out) {
		struct buf q = BUF_INIT;
		char *enc = evhttp_encode_uri(a);
		buf_printf(&q, "/mail/config.mobileconfig?emailaddress=%s", enc);
		free(enc);
		buf_appends(&x, "<p><a href=\"");
		http_escape(&x, buf_cstr(&q));
		buf_appends(&x, "\">");
		http_escape(&x, t->profile);
		buf_appends(&x, "</a></p>\n");
		buf_free(&q);
	}
	buf_appends(&x, "</body>\n</html>\n");
	free(a);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Language", t->lang);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Vary", "Accept-Language");
	http_reply(r, 200, "text/html; charset=utf-8", &x);
}
