/* Loading the config file: built-in defaults, then Postfix main.cf-style logical lines
 * (`key = value`, `#` comment lines, continuation lines that start with whitespace),
 * each key validated by the key table (settings_keys.c), then checks across keys. */
#include "conf/settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/settings_keys.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define MAX_KEYS 64

/* One load in progress: the file name for messages, and the line each key was last set
 * on, for errors found only after the whole file is read. */
struct load_ctx {
	const char *name;
	const char *set_keys[MAX_KEYS];
	int set_lines[MAX_KEYS];
	size_t n_set;
};

static __thread char error_buf[1024];

static const char *
load_error(const struct load_ctx *ctx, int line, const char *fmt, const char *a, const char *b)
{
	char msg[768];

	snprintf(msg, sizeof(msg), fmt, a, b);
	if (line > 0)
		snprintf(error_buf, sizeof(error_buf), "%s:%d: %s", ctx->name, line, msg);
	else
		snprintf(error_buf, sizeof(error_buf), "%s: %s", ctx->name, msg);
	return error_buf;
}

static void
set_listen(struct listen_list *l, const char *value)
{
	const char *error;

	if (listen_list_parse(l, value, &error) < 0)
		abort(); /* built-in default: a broken invariant */
}

/* Default mydomains: myhostname minus its first label when what remains still has a
 * dot ("mail.example.com" -> "example.com"), else myhostname itself. */
static void
default_mydomains(struct settings *s)
{
	const char *dot = strchr(s->myhostname, '.');
	const char *domain = dot != NULL && strchr(dot + 1, '.') != NULL ? dot + 1 : s->myhostname;

	str_array_free(&s->mydomains);
	s->mydomains = xcalloc(2, sizeof(char *));
	s->mydomains[0] = xstrdup(domain);
	str_lower(s->mydomains[0]);
}

static char *
default_hostname(void)
{
	char name[256] = "";

	if (gethostname(name, sizeof(name) - 1) < 0 || !settings_valid_hostname(name))
		return xstrdup("localhost");
	return xstrdup(name);
}

void
settings_defaults(struct settings *s)
{
	const char *error;

	memset(s, 0, sizeof(*s));
	s->myhostname = default_hostname();
	default_mydomains(s);
	s->data_directory = xstrdup("/var/lib/yubin");
	set_listen(&s->smtp_listen, ":25");
	set_listen(&s->submission_listen, ":587");
	set_listen(&s->submissions_listen, ":465");
	set_listen(&s->imap_listen, ":143");
	set_listen(&s->imaps_listen, ":993");
	set_listen(&s->pop3_listen, ":110");
	set_listen(&s->pop3s_listen, ":995");
	s->message_size_limit = 26214400;
	s->smtp_memory_limit = 1ULL << 30;
	if (cidr_list_parse(&s->mynetworks, "127.0.0.0/8, ::1/128", &error) < 0)
		abort();
	s->smtp_delivery_port = 25;
	s->run_as_user = geteuid() == 0 ? xstrdup("yubin") : NULL;
	s->recipient_delimiter = '+';
	s->smtp_max_recipients = 1000;
	s->smtp_max_errors = 20;
	s->dns_cache_size = 10000;
	s->smtp_timeout = 300;
	s->smtp_max_connections = 1000;
	s->smtp_max_connections_per_ip = 50;
	s->pop3_timeout = 600;
	s->imap_timeout = 1800;
	s->login_timeout = 180;
	s->imap_max_connections = 20000;
	s->imap_preauth_literal_limit = 8192;
	s->imap_command_literal_limit = 64ULL << 20;
	s->imap_memory_limit = 1ULL << 30;
	s->imap_search_max_keys = 256;
	s->imap_max_contexts = 16;
	s->imap_sort_cache_messages = 100000;
	s->imap_fetch_cache_messages = 100000;
	s->imap_notify_queue_max = 1000;
	s->imap_notify_output_max = 256 * 1024;
	s->pop3_max_connections = 1000;
	s->max_connections_per_ip = 200;
	s->maximal_queue_lifetime = 5 * 86400;
	s->minimal_backoff_time = 300;
	s->maximal_backoff_time = 4000;
	s->auth_failure_delay = 1000;
	s->log_level = xstrdup("info");
	s->mailauth_checks = true;
	s->mailauth_timeout = 5000;
	s->dmarc_enforce = true;
	s->dmarc_temperror = false;
	s->dkim_verify_max_signatures = 10;
	s->milter_default_action = xstrdup("tempfail");
	s->milter_connect_timeout = 30;
	s->milter_command_timeout = 30;
	s->milter_content_timeout = 300;
	s->milter_idle_connections = 0;
	s->milter_idle_timeout = 30;
	s->milter_connection_sessions = 10;
	s->milter_reuse_after = xstrdup("message");
	s->clamd_default_action = xstrdup("tempfail");
	s->clamd_timeout = 60;
	s->clamd_max_stream = 25ULL << 20;
	s->dnsbl_timeout = 3000;
	s->smtpd_pregreet_ban_time = 3600;
	s->auth_ban_threshold = 10;
	s->auth_ban_window = 600;
	s->auth_ban_time = 3600;
	s->greylist_delay = 300;
	s->greylist_auto_whitelist = 30 * 86400;
	s->guard_table_size = 100000;
	s->log_format = xstrdup("text");
	s->log_target = xstrdup("stderr");
	set_listen(&s->metrics_listen, "127.0.0.1:9465");
	s->http_timeout = 30;
	s->http_max_header_size = 8192;
	s->http_max_body_size = 65536;
	s->http_max_connections = 1000;
	s->admin_session_timeout = 900;
	s->admin_max_sessions = 64;
	s->admin_recent_events = 200;
	s->mta_sts_mode = xstrdup("testing");
	s->mta_sts_max_age = 604800;
	s->dkim_sign = true;
	s->dkim_dns_check_interval = 3600;
	s->spam_threshold = 5.0;
	s->spam_reject_threshold = 15.0;
	s->spam_max_tokens = 200000;
	s->spam_scan_bytes = 65536;
	s->spam_min_trained = 10;
	s->spam_store_cache = 128;
	s->spam_train_max_messages = 1000;
	s->spam_filter = xstrdup("builtin");
	s->rspamd_learn_timeout = 30;
	s->rspamd_learn_queue = 1000;
	s->rspamd_learn_max_size = 25ULL << 20;
	s->acme_directory = xstrdup("https://acme-v02.api.letsencrypt.org/directory");
	s->acme_challenge = xstrdup("http-01");
	s->acme_renew_days = 30;
	s->acme_check_interval = 43200;
}

void
settings_free(struct settings *s)
{
	free(s->config_path);
	free(s->myhostname);
	str_array_free(&s->mydomains);
	free(s->data_directory);
	listen_list_free(&s->smtp_listen);
	listen_list_free(&s->submission_listen);
	listen_list_free(&s->submissions_listen);
	listen_list_free(&s->imap_listen);
	listen_list_free(&s->imaps_listen);
	listen_list_free(&s->pop3_listen);
	listen_list_free(&s->pop3s_listen);
	free(s->tls_cert_file);
	free(s->tls_key_file);
	cidr_list_free(&s->mynetworks);
	str_array_free(&s->dns_resolvers);
	free(s->relayhost);
	free(s->relayhost_username);
	free(s->relayhost_password_file);
	free(s->run_as_user);
	free(s->log_level);
	str_array_free(&s->smtpd_milters);
	str_array_free(&s->non_smtpd_milters);
	free(s->milter_default_action);
	free(s->milter_reuse_after);
	free(s->clamd_socket);
	free(s->clamd_default_action);
	str_array_free(&s->dnsbl_zones);
	free(s->log_format);
	free(s->log_target);
	listen_list_free(&s->http_listen);
	listen_list_free(&s->https_listen);
	listen_list_free(&s->metrics_listen);
	free(s->mta_sts_mode);
	free(s->acme_directory);
	free(s->acme_email);
	free(s->acme_ca_file);
	str_array_free(&s->acme_domains);
	free(s->acme_challenge);
	free(s->spam_filter);
	free(s->rspamd_controller);
	free(s->rspamd_controller_password_file);
	memset(s, 0, sizeof(*s));
}

static int
key_line(const struct load_ctx *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->n_set; i++)
		if (strcmp(ctx->set_keys[i], key) == 0)
			return ctx->set_lines[i];
	return 0;
}

static void
remember_key(struct load_ctx *ctx, const char *key, int line)
{
	for (size_t i = 0; i < ctx->n_set; i++) {
		if (strcmp(ctx->set_keys[i], key) == 0) {
			ctx->set_lines[i] = line;
			return;
		}
	}
	if (ctx->n_set < MAX_KEYS) {
		ctx->set_keys[ctx->n_set] = key;
		ctx->set_lines[ctx->n_set++] = line;
	}
}

static bool
valid_key_syntax(const char *key)
{
	if (*key == '\0')
		return false;
	for (; *key != '\0'; key++)
		if (!((*key >= 'a' && *key <= 'z') || (*key >= '0' && *key <= '9') || *key == '_'))
			return false;
	return true;
}

/* One logical line "key = value" that started on line `line`. */
static int
apply_line(struct settings *s, struct load_ctx *ctx, char *text, int line, const char **error_r)
{
	char *eq = strchr(text, '=');
	const struct settings_key *k;
	const char *why;
	char *key, *value;

	if (eq == NULL) {
		*error_r =
			load_error(ctx, line, "syntax error: expected '%s = %s'", "key", "value");
		return -1;
	}
	*eq = '\0';
	key = str_trim(text);
	value = str_trim(eq + 1);
	if (!valid_key_syntax(key)) {
		*error_r = load_error(ctx, line, "syntax error: bad key name '%s'%s", key, "");
		return -1;
	}
	k = settings_key_find(key);
	if (k == NULL) {
		*error_r = load_error(ctx, line, "unknown key '%s'%s", key, "");
		return -1;
	}
	if (settings_key_set(s, k, value, &why) < 0) {
		*error_r = load_error(ctx, line, "invalid value for %s: %s", key, why);
		return -1;
	}
	remember_key(ctx, settings_key_name(k), line);
	return 0;
}

static int
check_pair(const struct load_ctx *ctx, const void *a, const void *b, const char *ka, const char *kb,
	   const char **error_r)
{
	int la, lb;

	if ((a == NULL) == (b == NULL))
		return 0;
	la = key_line(ctx, ka);
	lb = key_line(ctx, kb);
	*error_r = load_error(ctx, la > lb ? la : lb, "%s and %s must be set together", ka, kb);
	return -1;
}

/* Checks that involve more than one key, once the whole file is read. */
static int
check_all(struct settings *s, const struct load_ctx *ctx, const char **error_r)
{
	if (key_line(ctx, "mydomains") == 0)
		default_mydomains(s);
	if (check_pair(ctx, s->tls_cert_file, s->tls_key_file, "tls_cert_file", "tls_key_file",
		       error_r) < 0)
		return -1;
	if (check_pair(ctx, s->relayhost_username, s->relayhost_password_file, "relayhost_username",
		       "relayhost_password_file", error_r) < 0)
		return -1;
	if (s->relayhost_username != NULL && s->relayhost == NULL) {
		*error_r = load_error(ctx, key_line(ctx, "relayhost_username"), "%s needs %s",
				      "relayhost_username", "relayhost");
		return -1;
	}
	if (s->minimal_backoff_time > s->maximal_backoff_time) {
		int la = key_line(ctx, "minimal_backoff_time");
		int lb = key_line(ctx, "maximal_backoff_time");
		*error_r = load_error(ctx, la > lb ? la : lb, "%s must not exceed %s",
				      "minimal_backoff_time", "maximal_backoff_time");
		return -1;
	}
	return 0;
}

/* Splits text into logical lines (RFC-free: Postfix main.cf rules) and applies them. */
static int
parse_text(struct settings *s, struct load_ctx *ctx, const char *text, const char **error_r)
{
	struct buf logical = BUF_INIT;
	int line = 0, start = 0, ret = 0;
	const char *p = text;

	while (ret == 0 && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *phys = xstrndup(p, len);
		bool cont = phys[0] == ' ' || phys[0] == '\t';

		line++;
		p += len + (nl != NULL);
		str_trim(phys);
		if (phys[0] == '\0' || phys[0] == '#') {
			free(phys);
			continue;
		}
		if (cont && start == 0) {
			*error_r = load_error(ctx, line,
					      "continuation line without a key before "
					      "it%s%s",
					      "", "");
			ret = -1;
		} else if (cont) {
			buf_appendc(&logical, ' ');
			buf_appends(&logical, phys);
		} else {
			if (start > 0)
				ret = apply_line(s, ctx, logical.data, start, error_r);
			buf_reset(&logical);
			buf_appends(&logical, phys);
			start = line;
		}
		free(phys);
	}
	if (ret == 0 && start > 0)
		ret = apply_line(s, ctx, logical.data, start, error_r);
	buf_free(&logical);
	return ret;
}

int
settings_load_string(struct settings *s, const char *name, const char *text, const char **error_r)
{
	struct load_ctx ctx = {.name = name};

	settings_defaults(s);
	s->config_path = xstrdup(name);
	if (parse_text(s, &ctx, text, error_r) < 0 || check_all(s, &ctx, error_r) < 0) {
		settings_free(s);
		return -1;
	}
	return 0;
}

int
settings_load(struct settings *s, const char *path, const char **error_r)
{
	struct buf b = BUF_INIT;
	int ret;

	memset(s, 0, sizeof(*s));
	if (file_read_all(path, &b) < 0) {
		snprintf(error_buf, sizeof(error_buf), "%s: cannot read: %s", path,
			 strerror(errno));
		*error_r = error_buf;
		buf_free(&b);
		return -1;
	}
	if (memchr(buf_cstr(&b), '\0', b.len) != NULL) {
		snprintf(error_buf, sizeof(error_buf), "%s: contains a NUL byte", path);
		*error_r = error_buf;
		buf_free(&b);
		return -1;
	}
	ret = settings_load_string(s, path, buf_cstr(&b), error_r);
	buf_free(&b);
	return ret;
}

void
settings_print(const struct settings *s, FILE *out)
{
	fprintf(out, "# yubin effective settings%s%s\n", s->config_path ? " from " : "",
		s->config_path ? s->config_path : "");
	settings_keys_print(s, out);
}

enum log_level
settings_log_level(const struct settings *s)
{
	if (s->log_level == NULL || strcmp(s->log_level, "info") == 0)
		return LOG_LEVEL_INFO;
	if (strcmp(s->log_level, "debug") == 0)
		return LOG_LEVEL_DEBUG;
	if (strcmp(s->log_level, "warn") == 0)
		return LOG_LEVEL_WARN;
	return LOG_LEVEL_ERROR;
}
