/* The table of config keys: for each, its type, where it lives in struct settings and its
 * bounds; parsing a value into the struct and printing the effective value back in a
 * form that loads unchanged. Every key here is documented in docs/configuration.md. */
#include "conf/settings_keys.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "util/str.h"
#include "util/xmalloc.h"

enum key_type {
	KEY_HOSTNAME,     /* char *, required host name */
	KEY_DOMAINS,      /* char **, list of domains, lower-cased */
	KEY_PATH,         /* char *, required */
	KEY_PATH_OPT,     /* char *, empty = NULL */
	KEY_STRING_OPT,   /* char *, empty = NULL, no whitespace */
	KEY_HOSTPORT_OPT, /* char *, "host[:port]" or "[host]:port", empty = NULL */
	KEY_RESOLVERS,    /* char **, "addr[:port]" list of IP literals, empty = NULL */
	KEY_LISTEN,       /* struct listen_list */
	KEY_CIDR,         /* struct cidr_list */
	KEY_SIZE,         /* unsigned long long bytes */
	KEY_DURATION,     /* unsigned seconds */
	KEY_DURATION_LL,  /* unsigned long long seconds */
	KEY_MS,           /* unsigned milliseconds: plain = ms, or "ms" / "s" suffix */
	KEY_UINT,         /* unsigned */
	KEY_CHAR,         /* char, empty = '\0' */
	KEY_LOGLEVEL,     /* char *, debug|info|warn|error */
	KEY_BOOL,         /* bool, yes|no */
	KEY_DNSBL,        /* char **, "zone", "zone=reject" or "zone=WEIGHT", empty = NULL */
	KEY_RATE,         /* struct settings_rate, "MESSAGES/RECIPIENTS" */
	KEY_DEFER,        /* bool, accept (false) | defer (true) */
	KEY_FILTERS,      /* char **, list of "inet:host:port"/"unix:/path", empty = NULL */
	KEY_FILTER_OPT,   /* char *, one "inet:host:port"/"unix:/path", empty = NULL */
	KEY_ACTION,       /* char *, tempfail|accept|reject */
	KEY_CHOICE,       /* char *, one of the key's choices ("a|b|c") */
	KEY_SCORE,        /* double, a decimal number >= 0 ("5", "7.5"), min..max */
};

struct settings_key {
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned long long min, max;
	const char *choices; /* KEY_CHOICE: "a|b|c" */
};

#define K(name, type, min, max)                                                                    \
	{                                                                                          \
#name, type, offsetof(struct settings, name), min, max, NULL                       \
	}
#define KC(name, choices)                                                                          \
	{                                                                                          \
#name, KEY_CHOICE, offsetof(struct settings, name), 0, 0, choices                  \
	}
#define UMAX 4294967295ULL

static const struct settings_key keys[] = {
	K(myhostname, KEY_HOSTNAME, 0, 0),
	K(mydomains, KEY_DOMAINS, 0, 0),
	K(data_directory, KEY_PATH, 0, 0),
	K(smtp_listen, KEY_LISTEN, 0, 0),
	K(submission_listen, KEY_LISTEN, 0, 0),
	K(submissions_listen, KEY_LISTEN, 0, 0),
	K(imap_listen, KEY_LISTEN, 0, 0),
	K(imaps_listen, KEY_LISTEN, 0, 0),
	K(pop3_listen, KEY_LISTEN, 0, 0),
	K(pop3s_listen, KEY_LISTEN, 0, 0),
	K(tls_cert_file, KEY_PATH_OPT, 0, 0),
	K(tls_key_file, KEY_PATH_OPT, 0, 0),
	K(message_size_limit, KEY_SIZE, 1024, 1ULL << 40),
	K(smtp_memory_limit, KEY_SIZE, 1ULL << 20, 1ULL << 40),
	K(mailbox_quota, KEY_SIZE, 0, 1ULL << 50),
	K(mynetworks, KEY_CIDR, 0, 0),
	K(dns_resolvers, KEY_RESOLVERS, 0, 0),
	K(dns_cache_size, KEY_UINT, 0, 10000000),
	K(smtp_delivery_port, KEY_UINT, 1, 65535),
	K(relayhost, KEY_HOSTPORT_OPT, 0, 0),
	K(relayhost_username, KEY_STRING_OPT, 0, 0),
	K(relayhost_password_file, KEY_PATH_OPT, 0, 0),
	K(run_as_user, KEY_STRING_OPT, 0, 0),
	K(recipient_delimiter, KEY_CHAR, 0, 0),
	K(smtp_max_recipients, KEY_UINT, 1, 1000000),
	K(smtp_max_errors, KEY_UINT, 1, 1000000),
	K(smtp_timeout, KEY_DURATION, 1, 86400),
	K(smtp_max_connections, KEY_UINT, 1, 1000000),
	K(smtp_max_connections_per_ip, KEY_UINT, 1, 1000000),
	K(pop3_timeout, KEY_DURATION, 1, 86400),
	K(imap_timeout, KEY_DURATION, 1, 86400),
	K(login_timeout, KEY_DURATION, 1, 86400),
	K(imap_max_connections, KEY_UINT, 1, 1000000),
	K(imap_preauth_literal_limit, KEY_SIZE, 64, 1ULL << 20),
	K(imap_command_literal_limit, KEY_SIZE, 1ULL << 16, 1ULL << 40),
	K(imap_memory_limit, KEY_SIZE, 1ULL << 20, 1ULL << 40),
	K(imap_search_max_keys, KEY_UINT, 1, 100000),
	K(imap_max_contexts, KEY_UINT, 0, 1000),
	K(imap_sort_cache_messages, KEY_UINT, 0, 10000000),
	K(imap_fetch_cache_messages, KEY_UINT, 0, 10000000),
	K(imap_notify_queue_max, KEY_UINT, 1, 1000000),
	K(imap_notify_output_max, KEY_SIZE, 1024, 1ULL << 30),
	K(pop3_max_connections, KEY_UINT, 1, 1000000),
	K(max_connections_per_ip, KEY_UINT, 1, 1000000),
	K(maximal_queue_lifetime, KEY_DURATION_LL, 0, 365ULL * 86400),
	K(minimal_backoff_time, KEY_DURATION, 1, 30 * 86400),
	K(maximal_backoff_time, KEY_DURATION, 1, 30 * 86400),
	K(auth_failure_delay, KEY_MS, 0, 15000),
	K(log_level, KEY_LOGLEVEL, 0, 0),
	K(mailauth_checks, KEY_BOOL, 0, 0),
	K(mailauth_timeout, KEY_MS, 100, 120000),
	K(dmarc_enforce, KEY_BOOL, 0, 0),
	K(dmarc_temperror, KEY_DEFER, 0, 0),
	K(dkim_verify_max_signatures, KEY_UINT, 1, 50),
	K(smtpd_milters, KEY_FILTERS, 0, 0),
	K(non_smtpd_milters, KEY_FILTERS, 0, 0),
	K(milter_default_action, KEY_ACTION, 0, 0),
	K(milter_connect_timeout, KEY_DURATION, 1, 3600),
	K(milter_command_timeout, KEY_DURATION, 1, 3600),
	K(milter_content_timeout, KEY_DURATION, 1, 3600),
	K(milter_idle_connections, KEY_UINT, 0, 10000),
	K(milter_idle_timeout, KEY_DURATION, 1, 3600),
	K(milter_connection_sessions, KEY_UINT, 1, 1000000),
	KC(milter_reuse_after, "message|session"),
	K(clamd_socket, KEY_FILTER_OPT, 0, 0),
	K(clamd_default_action, KEY_ACTION, 0, 0),
	K(clamd_timeout, KEY_DURATION, 1, 3600),
	K(clamd_max_stream, KEY_SIZE, 1024, 1ULL << 32),
	/* guards against abuse (docs/guards.md) */
	K(dnsbl_zones, KEY_DNSBL, 0, 0),
	K(dnsbl_timeout, KEY_MS, 10, 60000),
	K(smtpd_greet_delay, KEY_MS, 0, 60000),
	K(smtpd_pregreet_ban_time, KEY_DURATION, 1, 30 * 86400),
	K(submission_rate_limit, KEY_RATE, 0, 10000000),
	K(smtpd_client_connection_rate_limit, KEY_UINT, 0, 1000000),
	K(auth_ban_threshold, KEY_UINT, 0, 1000000),
	K(auth_ban_window, KEY_DURATION, 1, 30 * 86400),
	K(auth_ban_time, KEY_DURATION, 1, 365 * 86400),
	K(greylist, KEY_BOOL, 0, 0),
	K(greylist_delay, KEY_DURATION, 0, 86400),
	K(greylist_auto_whitelist, KEY_DURATION, 0, 365 * 86400),
	K(guard_table_size, KEY_UINT, 16, 10000000),
	KC(log_format, "text|json"),
	KC(log_target, "stderr|syslog"),
	K(http_listen, KEY_LISTEN, 0, 0),
	K(https_listen, KEY_LISTEN, 0, 0),
	K(metrics_listen, KEY_LISTEN, 0, 0),
	K(http_timeout, KEY_DURATION, 1, 3600),
	K(http_max_header_size, KEY_SIZE, 1024, 1ULL << 20),
	K(http_max_body_size, KEY_SIZE, 1024, 16ULL << 20),
	K(acme, KEY_BOOL, 0, 0),
	K(acme_directory, KEY_STRING_OPT, 0, 0),
	K(acme_email, KEY_STRING_OPT, 0, 0),
	K(acme_ca_file, KEY_PATH_OPT, 0, 0),
	K(acme_domains, KEY_DOMAINS, 0, 0),
	KC(acme_challenge, "http-01|tls-alpn-01"),
	K(acme_renew_days, KEY_UINT, 1, 100000),
	K(acme_check_interval, KEY_DURATION, 1, 30 * 86400),
	K(http_max_connections, KEY_UINT, 1, 1000000),
	K(admin_session_timeout, KEY_DURATION, 1, 7 * 86400),
	K(admin_max_sessions, KEY_UINT, 1, 100000),
	K(admin_recent_events, KEY_UINT, 1, 10000),
	KC(mta_sts_mode, "testing|enforce|none"),
	K(mta_sts_max_age, KEY_DURATION, 86400, 31557600),
	K(dkim_sign, KEY_BOOL, 0, 0),
	K(dkim_dns_check_interval, KEY_DURATION, 60, 7 * 86400),
	K(spam_threshold, KEY_SCORE, 0, 10000),
	K(spam_reject_threshold, KEY_SCORE, 0, 10000),
	K(spam_max_tokens, KEY_UINT, 1000, 100000000),
	K(spam_scan_bytes, KEY_SIZE, 1024, 16ULL << 20),
	K(spam_min_trained, KEY_UINT, 1, 1000000),
	K(spam_store_cache, KEY_UINT, 1, 4096),
	K(spam_train_max_messages, KEY_UINT, 1, 1000000),
	KC(spam_filter, "builtin|rspamd|none"),
	K(rspamd_controller, KEY_HOSTPORT_OPT, 0, 0),
	K(rspamd_controller_password_file, KEY_PATH_OPT, 0, 0),
	K(rspamd_learn_timeout, KEY_DURATION, 1, 3600),
	K(rspamd_learn_queue, KEY_UINT, 1, 1000000),
	K(rspamd_learn_max_size, KEY_SIZE, 1024, 1ULL << 32),
};

#define FIELD(s, k, type) ((type *)((char *)(s) + (k)->offset))
#define CFIELD(s, k, type) ((const type *)((const char *)(s) + (k)->offset))

const struct settings_key *
settings_key_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const char *
settings_key_name(const struct settings_key *k)
{
	return k->name;
}

static bool
has_space(const char *s)
{
	return strpbrk(s, " \t\r\n") != NULL;
}

static int
set_domains(char ***field, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);

	for (size_t i = 0; items[i] != NULL; i++) {
		if (!settings_valid_hostname(items[i])) {
			*error_r = "invalid domain name";
			str_array_free(&items);
			return -1;
		}
		str_lower(items[i]);
	}
	str_array_free(field);
	*field = items;
	return 0;
}

static int
set_resolvers(char ***field, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);
	unsigned char addr[16];

	for (size_t i = 0; items[i] != NULL; i++) {
		char *host = NULL;
		unsigned short port;
		bool ok = settings_split_hostport(items[i], 53, &host, &port, NULL) == 0;

		ok = ok &&
		     (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1);
		free(host);
		if (!ok) {
			*error_r = "invalid resolver (expected an IP address with optional :port)";
			str_array_free(&items);
			return -1;
		}
	}
	str_array_free(field);
	if (items[0] == NULL)
		str_array_free(&items);
	*field = items;
	return 0;
}

static int
set_string(char **field, const char *value, bool optional, const char **error_r)
{
	if (*value == '\0') {
		if (!optional) {
			*error_r = "value must not be empty";
			return -1;
		}
		free(*field);
		*field = NULL;
		return 0;
	}
	if (has_space(value)) {
		*error_r = "value must not contain whitespace";
		return -1;
	}
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static int
set_hostport(char **field, const char *value, const char **error_r)
{
	char *host = NULL;
	unsigned short port;

	if (*value != '\0') {
		if (settings_split_hostport(value, 25, &host, &port, NULL) < 0 || *host == '\0') {
			free(host);
			*error_r = "invalid host (expected host, host:port or [host]:port)";
			return -1;
		}
		free(host);
	}
	return set_string(field, value, true, error_r);
}

static int
parse_ms(const char *value, unsigned long long *ms_r)
{
	size_t len = strlen(value);
	char *num;
	int ret;

	if (len > 2 && strcmp(value + len - 2, "ms") == 0) {
		num = xstrndup(value, len - 2);
		ret = str_to_u64(num, ms_r);
		free(num);
		return ret;
	}
	if (len > 1 && value[len - 1] == 's') {
		num = xstrndup(value, len - 1);
		ret = str_to_u64(num, ms_r);
		free(num);
		if (ret == 0 && *ms_r > UMAX / 1000)
			return -1;
		*ms_r *= 1000;
		return ret;
	}
	return str_to_u64(value, ms_r);
}

static int
set_number(struct settings *s, const struct settings_key *k, const char *value,
	   const char **error_r)
{
	unsigned long long v;
	int ret;

	switch (k->type) {
	case KEY_SIZE:
		ret = settings_parse_size(value, &v);
		*error_r = "invalid size (expected bytes, or a number with k, m or g)";
		break;
	case KEY_DURATION:
	case KEY_DURATION_LL:
		ret = settings_parse_duration(value, &v);
		*error_r = "invalid duration (expected seconds, or a number with s, m, h, d or w)";
		break;
	case KEY_MS:
		ret = parse_ms(value, &v);
		*error_r = "invalid delay (expected milliseconds, or a number with ms or s)";
		break;
	default:
		ret = str_to_u64(value, &v);
		*error_r = "invalid number";
		break;
	}
	if (ret < 0)
		return -1;
	if (v < k->min || v > k->max) {
		*error_r = "value out of range (see docs/configuration.md)";
		return -1;
	}
	if (k->type == KEY_SIZE || k->type == KEY_DURATION_LL)
		*FIELD(s, k, unsigned long long) = v;
	else
		*FIELD(s, k, unsigned) = (unsigned)v;
	return 0;
}

static int
set_char(char *field, const char *value, const char **error_r)
{
	unsigned char c = (unsigned char)value[0];

	if (c != '\0' && (value[1] != '\0' || c == '@' || c == '"' || c < 0x21 || c > 0x7e)) {
		*error_r = "expected one printable character other than '@' and '\"', or nothing";
		return -1;
	}
	*field = value[0];
	return 0;
}

static int
set_loglevel(char **field, const char *value, const char **error_r)
{
	static const char *const levels[] = {"debug", "info", "warn", "error"};

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(value, levels[i]) == 0) {
			free(*field);
			*field = xstrdup(value);
			return 0;
		}
	}
	*error_r = "expected debug, info, warn or error";
	return -1;
}

/* KEY_BOOL: yes|no; KEY_DEFER: accept|defer (true = defer) */
static int
set_two_words(bool *field, const char *value, const char *no, const char *yes, const char **error_r)
{
	if (strcmp(value, yes) == 0) {
		*field = true;
		return 0;
	}
	if (strcmp(value, no) == 0) {
		*field = false;
		return 0;
	}
	*error_r = strcmp(yes, "yes") == 0 ? "expected yes or no" : "expected accept or defer";
	return -1;
}

/* The syntax only: src/filter resolves the address when it connects. */
static bool
valid_filter(const char *v)
{
	const char *colon;

	if (strncmp(v, "unix:/", 6) == 0)
		return v[6] != '\0';
	if (strncmp(v, "inet:", 5) != 0)
		return false;
	colon = strrchr(v + 5, ':');
	return colon != NULL && colon > v + 5 && colon[1] != '\0' &&
	       strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

static int
set_filters(char ***field, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);

	for (size_t i = 0; items[i] != NULL; i++) {
		if (!valid_filter(items[i])) {
			*error_r = "expected inet:host:port or unix:/path";
			str_array_free(&items);
			return -1;
		}
	}
	str_array_free(field);
	if (items[0] == NULL)
		str_array_free(&items);
	*field = items;
	return 0;
}

static int
set_action(char **field, const char *value, const char **error_r)
{
	if (strcmp(value, "tempfail") != 0 && strcmp(value, "accept") != 0 &&
	    strcmp(value, "reject") != 0) {
		*error_r = "expected tempfail, accept or reject";
		return -1;
	}
	free(*field);
	*field = xstrdup(value);
	return 0;
}

/* dnsbl_zones: each "zone", "zone=reject" or "zone=WEIGHT" (1..1000; a bare zone
 * weighs 1), lower-cased. */
static int
set_dnsbl(char ***field, const char *value, const char **error_r)
{
	char **items = settings_split_list(value);

	for (size_t i = 0; items[i] != NULL; i++) {
		char *eq = strchr(items[i], '=');
		unsigned long long w = 0;
		bool ok;

		if (eq != NULL)
			*eq = '\0';
		ok = settings_valid_hostname(items[i]) &&
		     (eq == NULL || strcmp(eq + 1, "reject") == 0 ||
		      (str_to_u64(eq + 1, &w) == 0 && w >= 1 && w <= 1000));
		if (eq != NULL)
			*eq = '=';
		if (!ok) {
			*error_r = "invalid DNSBL zone (expected zone, zone=reject or zone=WEIGHT)";
			str_array_free(&items);
			return -1;
		}
		str_lower(items[i]);
	}
	str_array_free(field);
	if (items[0] == NULL)
		str_array_free(&items);
	*field = items;
	return 0;
}

/* "MESSAGES/RECIPIENTS", each 0 (no limit) up to the key's max; "0" alone = off. */
static int
set_rate(struct settings_rate *field, const struct settings_key *k, const char *value,
	 const char **error_r)
{
	const char *slash = strchr(value, '/');
	unsigned long long m, r = 0;
	char *first = xstrndup(value, slash != NULL ? (size_t)(slash - value) : strlen(value));
	bool ok = str_to_u64(first, &m) == 0 &&
		  (slash == NULL ? m == 0 : str_to_u64(slash + 1, &r) == 0);

	free(first);
	if (!ok || m > k->max || r > k->max) {
		*error_r = "invalid rate (expected MESSAGES/RECIPIENTS, or 0 for none)";
		return -1;
	}
	field->messages = (unsigned)m;
	field->recipients = (unsigned)r;
	return 0;
}

static int
set_choice(char **field, const char *choices, const char *value, const char **error_r)
{
	static char error[128];
	size_t len = strlen(value);

	for (const char *c = choices; *c != '\0'; c += strcspn(c, "|"), c += *c == '|') {
		if (len > 0 && strncmp(c, value, len) == 0 && (c[len] == '|' || c[len] == '\0')) {
			free(*field);
			*field = xstrdup(value);
			return 0;
		}
	}
	snprintf(error, sizeof(error), "expected one of %s", choices);
	*error_r = error;
	return -1;
}

/* The double of a KEY_SCORE key (through void *: FIELD's char * cast is for integer types). */
static double *
score_field(const struct settings *s, const struct settings_key *k)
{
	void *p = (char *)s + k->offset;

	return p;
}

static int
set_score(double *field, const struct settings_key *k, const char *value, const char **error_r)
{
	char *end;
	double v;

	if (*value < '0' || *value > '9' || (v = strtod(value, &end), *end != '\0') ||
	    !(v >= (double)k->min && v <= (double)k->max)) {
		*error_r = "invalid score (expected a number such as 5 or 7.5, in range)";
		return -1;
	}
	*field = v;
	return 0;
}

static int
set_list(struct settings *s, const struct settings_key *k, const char *value, const char **error_r)
{
	if (k->type == KEY_LISTEN) {
		struct listen_list l;
		if (listen_list_parse(&l, value, error_r) < 0)
			return -1;
		listen_list_free(FIELD(s, k, struct listen_list));
		*FIELD(s, k, struct listen_list) = l;
	} else {
		struct cidr_list l;
		if (cidr_list_parse(&l, value, error_r) < 0)
			return -1;
		cidr_list_free(FIELD(s, k, struct cidr_list));
		*FIELD(s, k, struct cidr_list) = l;
	}
	return 0;
}

int
settings_key_set(struct settings *s, const struct settings_key *k, const char *value,
		 const char **error_r)
{
	switch (k->type) {
	case KEY_HOSTNAME:
		if (!settings_valid_hostname(value)) {
			*error_r = "invalid host name";
			return -1;
		}
		return set_string(FIELD(s, k, char *), value, false, error_r);
	case KEY_DOMAINS:
		return set_domains(FIELD(s, k, char **), value, error_r);
	case KEY_PATH:
		return set_string(FIELD(s, k, char *), value, false, error_r);
	case KEY_PATH_OPT:
	case KEY_STRING_OPT:
		return set_string(FIELD(s, k, char *), value, true, error_r);
	case KEY_HOSTPORT_OPT:
		return set_hostport(FIELD(s, k, char *), value, error_r);
	case KEY_RESOLVERS:
		return set_resolvers(FIELD(s, k, char **), value, error_r);
	case KEY_LISTEN:
	case KEY_CIDR:
		return set_list(s, k, value, error_r);
	case KEY_SIZE:
	case KEY_DURATION:
	case KEY_DURATION_LL:
	case KEY_MS:
	case KEY_UINT:
		return set_number(s, k, value, error_r);
	case KEY_CHAR:
		return set_char(FIELD(s, k, char), value, error_r);
	case KEY_LOGLEVEL:
		return set_loglevel(FIELD(s, k, char *), value, error_r);
	case KEY_BOOL:
		return set_two_words(FIELD(s, k, bool), value, "no", "yes", error_r);
	case KEY_DEFER:
		return set_two_words(FIELD(s, k, bool), value, "accept", "defer", error_r);
	case KEY_DNSBL:
		return set_dnsbl(FIELD(s, k, char **), value, error_r);
	case KEY_RATE:
		return set_rate(FIELD(s, k, struct settings_rate), k, value, error_r);
	case KEY_FILTERS:
		return set_filters(FIELD(s, k, char **), value, error_r);
	case KEY_FILTER_OPT:
		if (*value != '\0' && !valid_filter(value)) {
			*error_r = "expected inet:host:port or unix:/path";
			return -1;
		}
		return set_string(FIELD(s, k, char *), value, true, error_r);
	case KEY_ACTION:
		return set_action(FIELD(s, k, char *), value, error_r);
	case KEY_SCORE:
		return set_score(score_field(s, k), k, value, error_r);
	case KEY_CHOICE:
		return set_choice(FIELD(s, k, char *), k->choices, value, error_r);
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			*error_r = "expected yes or no";
			return -1;
		}
		*FIELD(s, k, bool) = strcmp(value, "yes") == 0;
		return 0;
	}
	*error_r = "internal error: unknown key type";
	return -1;
}

static void
print_array(char *const *const arr, FILE *out)
{
	for (size_t i = 0; arr != NULL && arr[i] != NULL; i++)
		fprintf(out, "%s%s", i > 0 ? ", " : "", arr[i]);
}

static void
print_lists(const struct settings *s, const struct settings_key *k, FILE *out)
{
	char tmp[300];

	if (k->type == KEY_LISTEN) {
		const struct listen_list *l = CFIELD(s, k, struct listen_list);
		for (size_t i = 0; i < l->n; i++) {
			listen_addr_format(&l->addrs[i], tmp, sizeof(tmp));
			fprintf(out, "%s%s", i > 0 ? ", " : "", tmp);
		}
	} else {
		const struct cidr_list *l = CFIELD(s, k, struct cidr_list);
		for (size_t i = 0; i < l->n; i++) {
			cidr_format(&l->items[i], tmp, sizeof(tmp));
			fprintf(out, "%s%s", i > 0 ? ", " : "", tmp);
		}
	}
}

static void
print_value(const struct settings *s, const struct settings_key *k, FILE *out)
{
	const char *str;

	switch (k->type) {
	case KEY_HOSTNAME:
	case KEY_PATH:
	case KEY_PATH_OPT:
	case KEY_STRING_OPT:
	case KEY_HOSTPORT_OPT:
	case KEY_LOGLEVEL:
	case KEY_FILTER_OPT:
	case KEY_ACTION:
	case KEY_CHOICE:
		str = *CFIELD(s, k, char *);
		fputs(str != NULL ? str : "", out);
		break;
	case KEY_DOMAINS:
	case KEY_RESOLVERS:
	case KEY_FILTERS:
	case KEY_DNSBL:
		print_array((char *const *)*CFIELD(s, k, char **), out);
		break;
	case KEY_LISTEN:
	case KEY_CIDR:
		print_lists(s, k, out);
		break;
	case KEY_SIZE:
	case KEY_DURATION_LL:
		fprintf(out, "%llu", *CFIELD(s, k, unsigned long long));
		break;
	case KEY_DURATION:
	case KEY_MS:
	case KEY_UINT:
		fprintf(out, "%u", *CFIELD(s, k, unsigned));
		break;
	case KEY_CHAR:
		if (*CFIELD(s, k, char) != '\0')
			fputc(*CFIELD(s, k, char), out);
		break;
	case KEY_SCORE:
		fprintf(out, "%g", *score_field(s, k));
		break;
	case KEY_BOOL:
		fputs(*CFIELD(s, k, bool) ? "yes" : "no", out);
		break;
	case KEY_DEFER:
		fputs(*CFIELD(s, k, bool) ? "defer" : "accept", out);
		break;
	case KEY_RATE:
		if (CFIELD(s, k, struct settings_rate)->messages == 0 &&
		    CFIELD(s, k, struct settings_rate)->recipients == 0)
			fputs("0", out);
		else
			fprintf(out, "%u/%u", CFIELD(s, k, struct settings_rate)->messages,
				CFIELD(s, k, struct settings_rate)->recipients);
		break;
	}
}

void
settings_keys_print(const struct settings *s, FILE *out)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *value = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&value, &len);

		if (mem == NULL)
			abort();
		print_value(s, &keys[i], mem);
		fclose(mem);
		fprintf(out, "%s =%s%s\n", keys[i].name, len > 0 ? " " : "", value);
		free(value);
	}
}

char *
settings_key_format(const struct settings *s, const struct settings_key *k)
{
	char *value = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&value, &len);

	if (mem == NULL)
		abort();
	print_value(s, k, mem);
	fclose(mem);
	return value;
}
