/* The typed, validated settings of yubin, loaded from one Postfix main.cf-style file
 * (`key = value`, `#` comments, continuation lines start with whitespace). Every key is
 * documented in docs/configuration.md; unknown keys and bad values are errors naming
 * FILE:LINE. */
#ifndef CONF_SETTINGS_H
#define CONF_SETTINGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "log/log.h"

#define SETTINGS_DEFAULT_PATH "/etc/yubin/yubin.conf"

struct listen_addr {
	char *host; /* "" or NULL = all addresses; IPv6 literals without brackets */
	unsigned short port;
};
struct listen_list {
	struct listen_addr *addrs;
	size_t n; /* 0 = listener off */
};

struct cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address, host bits cleared; 4 bytes used for AF_INET */
	int prefix;
};
struct cidr_list {
	struct cidr *items;
	size_t n;
};

/* Whether sa (AF_INET or AF_INET6) is inside one of l's networks. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is matched as the IPv4 address. An empty list matches nothing. */
bool cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa);
/* Parses a comma/whitespace separated list of "addr/prefix" or bare addresses (host
 * routes). Empty = empty list. 0 ok, -1 with *error_r (static text). Frees nothing. */
int cidr_list_parse(struct cidr_list *l, const char *value, const char **error_r);
void cidr_list_free(struct cidr_list *l);
/* "addr/prefix" into out (INET6_ADDRSTRLEN + 5 bytes is enough). */
void cidr_format(const struct cidr *c, char *out, size_t size);

/* Parses "addr:port, [v6]:port, :port" (comma/whitespace separated); empty = off. */
int listen_list_parse(struct listen_list *l, const char *value, const char **error_r);
void listen_list_free(struct listen_list *l);
/* "host:port", "[v6]:port" or ":port" into out (300 bytes is enough). */
void listen_addr_format(const struct listen_addr *a, char *out, size_t size);

/* Splits a list separated by commas and/or whitespace into a NULL-terminated array of
 * non-empty xstrdup'ed items (free with str_array_free()). */
char **settings_split_list(const char *value);
/* Host name syntax (RFC 1123 labels: letters, digits, '-', '.'; at most 253 octets). */
bool settings_valid_hostname(const char *name);
/* Splits "host", "host:port", "[host]" or "[host]:port" (host may be an IPv6 literal in
 * brackets, or a bare IPv6 literal without a port). *host_r is malloc'ed, without
 * brackets; *port_r is default_port when none is given; *bracketed_r (may be NULL) tells
 * whether the host was in brackets (Postfix: "no MX lookup"). 0 ok, -1 bad syntax. */
int settings_split_hostport(const char *value, unsigned short default_port, char **host_r,
			    unsigned short *port_r, bool *bracketed_r);

/* Durations: plain seconds or a number with one unit s/m/h/d/w. */
int settings_parse_duration(const char *value, unsigned long long *seconds_r);
/* Sizes: plain bytes or a number with k/m/g (powers of 1024, either case). */
int settings_parse_size(const char *value, unsigned long long *bytes_r);

/* submission_rate_limit: per authenticated account and hour; 0 = no limit. */
struct settings_rate {
	unsigned messages, recipients;
};

struct settings {
	char *config_path;
	char *myhostname;     /* default: gethostname() */
	char **mydomains;     /* NULL-terminated, lower-cased; default: myhostname's domain
				 part (myhostname minus its first label if that leaves a
				 dot, else myhostname) */
	char *data_directory; /* /var/lib/yubin */
	struct listen_list smtp_listen, submission_listen, submissions_listen, imap_listen,
		imaps_listen, pop3_listen, pop3s_listen;
	char *tls_cert_file, *tls_key_file; /* NULL = generated into data_directory on first start
					       (by serve) */
	unsigned long long message_size_limit; /* 26214400 */
	unsigned long long smtp_memory_limit;  /* 1 GiB: message data held by all SMTP sessions */
	unsigned long long mailbox_quota;      /* 0 = unlimited: per-account storage (RFC 9208) */
	struct cidr_list mynetworks;           /* 127.0.0.0/8, ::1/128 */
	char **dns_resolvers;                  /* NULL-terminated "addr[:port]"; NULL =
						  /etc/resolv.conf */
	unsigned dns_cache_size;               /* 10000 answers; 0 = no cache */
	unsigned smtp_delivery_port;           /* 25 */
	char *relayhost, *relayhost_username, *relayhost_password_file; /* NULL = none */
	char *run_as_user;                             /* "yubin" when root; NULL = don't switch */
	char recipient_delimiter;                      /* '+', '\0' = none */
	unsigned smtp_max_recipients;                  /* 1000 */
	unsigned smtp_max_errors;                      /* 20 */
	unsigned smtp_timeout;                         /* seconds, 300 */
	unsigned smtp_max_connections;                 /* 1000 total */
	unsigned smtp_max_connections_per_ip;          /* 50 */
	unsigned pop3_timeout;                         /* 600 */
	unsigned imap_timeout;                         /* 1800 */
	unsigned login_timeout;                        /* 180: POP3/IMAP idle before login */
	unsigned imap_max_connections;                 /* 20000 */
	unsigned long long imap_preauth_literal_limit; /* 8 KiB: each and all literals of a
							  command before login */
	unsigned long long imap_command_literal_limit; /* 64 MiB: all literals of one command */
	unsigned long long imap_memory_limit; /* 1 GiB: literal data held by all IMAP sessions */
	unsigned imap_search_max_keys;        /* 256: search keys in one SEARCH */
	unsigned imap_max_contexts;           /* 16: RETURN (UPDATE) contexts per session */
	unsigned imap_sort_cache_messages;    /* 100000: SORT/THREAD keys kept per account */
	unsigned imap_fetch_cache_messages;   /* 100000: BODYSTRUCTUREs kept per account */
	unsigned imap_notify_queue_max;       /* 1000: NOTIFY responses pending per session */
	unsigned long long imap_notify_output_max; /* 256 KiB: unread output that holds them */
	unsigned pop3_max_connections;             /* 1000 */
	unsigned max_connections_per_ip;           /* 200, for POP3/IMAP */
	unsigned long long maximal_queue_lifetime; /* seconds, 5d */
	unsigned minimal_backoff_time;             /* 300 */
	unsigned maximal_backoff_time;             /* 4000 */
	unsigned auth_failure_delay; /* ms, 1000: delay after the 1st failure of an IP;
					doubles per further failure up to 15 s */
	char *log_level;             /* info: debug|info|warn|error */
	/* inbound mail authentication on port 25 (src/smtp/smtp_mailauth.c) */
	bool mailauth_checks;                /* yes: SPF, DKIM, DMARC for untrusted clients */
	unsigned mailauth_timeout;           /* ms, 5000: wait at end of data for DNS answers */
	bool dmarc_enforce;                  /* yes: p=reject -> 550, p=quarantine -> Junk */
	bool dmarc_temperror;                /* false (accept) | true (defer: 451 4.7.5) */
	unsigned dkim_verify_max_signatures; /* 10: the ones after are permerror */
	/* content filters (docs/filters.md) */
	char **smtpd_milters;        /* NULL-terminated "inet:host:port"/"unix:/path"; port 25 */
	char **non_smtpd_milters;    /* the same, for submission */
	char *milter_default_action; /* tempfail|accept|reject: a milter down or late */
	unsigned milter_connect_timeout;     /* 30 s */
	unsigned milter_command_timeout;     /* 30 s */
	unsigned milter_content_timeout;     /* 300 s: body chunks and end of message */
	unsigned milter_idle_connections;    /* 0 (off): idle connections kept per milter */
	unsigned milter_idle_timeout;        /* 30 s: how long one is kept */
	unsigned milter_connection_sessions; /* 10: sessions one connection serves at most */
	char *milter_reuse_after;            /* message|session: when a connection is reused */
	char *clamd_socket;                  /* NULL = no virus scan */
	char *clamd_default_action;          /* tempfail|accept|reject: clamd down or late */
	unsigned clamd_timeout;              /* 60 s */
	unsigned long long clamd_max_stream; /* 25 MiB: clamd's StreamMaxLength default */

	/* guards against abuse (docs/guards.md) */
	char **dnsbl_zones;               /* NULL-terminated "zone[=reject|=WEIGHT]"; NULL = none */
	unsigned dnsbl_timeout;           /* ms, 3000: the greeting waits at most this long */
	unsigned smtpd_greet_delay;       /* ms, 0 = off: port 25 clients wait for the greeting */
	unsigned smtpd_pregreet_ban_time; /* seconds, 3600: a client that talked early */
	struct settings_rate submission_rate_limit;  /* per account and hour; 0/0 = off */
	unsigned smtpd_client_connection_rate_limit; /* per address and minute, port 25; 0 = off */
	unsigned auth_ban_threshold;      /* 10 failed logins in auth_ban_window; 0 = no bans */
	unsigned auth_ban_window;         /* seconds, 600 */
	unsigned auth_ban_time;           /* seconds, 3600 */
	bool greylist;                    /* no */
	unsigned greylist_delay;          /* seconds, 300 */
	unsigned greylist_auto_whitelist; /* seconds, 30 days: a net that retried */
	unsigned guard_table_size;        /* 100000 entries per guard table */
	char *log_format;                 /* text|json */
	char *log_target;                 /* stderr|syslog */
	/* HTTP (src/http): autoconfig, MTA-STS, the settings page, /healthz, /metrics */
	struct listen_list http_listen, https_listen; /* "" (off) */
	struct listen_list metrics_listen;            /* 127.0.0.1:9465; only it has /metrics */
	unsigned http_timeout;                        /* 30 s to receive a whole request */
	unsigned long long http_max_header_size;      /* 8 KiB: request line + headers */
	unsigned long long http_max_body_size;        /* 64 KiB */
	unsigned http_max_connections;                /* 1000, all HTTP listeners together */
	unsigned admin_session_timeout;   /* 900 s: an admin page session idle this long ends */
	unsigned admin_max_sessions;      /* 64 admin page sessions at once; the oldest goes */
	unsigned admin_recent_events;     /* 200 deliveries/rejections kept for the admin page */
	char *mta_sts_mode;               /* testing|enforce|none (RFC 8461 3.2) */
	unsigned mta_sts_max_age;         /* 604800 s: the policy's max_age */
	bool dkim_sign;                   /* yes: sign outgoing mail of mydomains that has keys */
	unsigned dkim_dns_check_interval; /* 3600 s: how often key records are looked up */
	/* the built-in spam filter (docs/spam.md) */
	double spam_threshold;        /* 5: score from which mail goes to Junk; 0 = off */
	double spam_reject_threshold; /* 15: score from which mail is refused (550); 0 = off */
	unsigned spam_max_tokens;     /* 200000: tokens kept per account, then pruned */
	unsigned long long spam_scan_bytes; /* 64 KiB: message bytes tokenized / decoded text */
	unsigned spam_min_trained;          /* 10: messages of each class before Bayes counts */
	unsigned spam_store_cache;          /* 128: token stores a classifier thread keeps open */
	unsigned spam_train_max_messages;   /* 1000: messages one IMAP command trains */
	/* builtin|rspamd|none: whose verdict sorts spam (docs/spam.md "rspamd instead") */
	char *spam_filter;
	char *rspamd_controller;                  /* NULL: no learning; "host[:port]" (11334) */
	char *rspamd_controller_password_file;    /* NULL: no Password header */
	unsigned rspamd_learn_timeout;            /* 30 s: connect + POST + reply, per message */
	unsigned rspamd_learn_queue;              /* 1000: messages waiting to be posted */
	unsigned long long rspamd_learn_max_size; /* 25 MiB: bigger messages are not posted */
	/* ACME (src/acme, RFC 8555): certificates from Let's Encrypt or another CA */
	bool acme;                /* no */
	char *acme_directory;     /* Let's Encrypt's production directory URL */
	char *acme_email;         /* NULL: the account has no contact */
	char *acme_ca_file;       /* NULL: the system's CAs verify the directory */
	char **acme_domains;      /* NULL: myhostname */
	char *acme_challenge;     /* http-01|tls-alpn-01 */
	unsigned acme_renew_days; /* 30: renew that long before notAfter */
	unsigned
		acme_check_interval; /* 43200 s: how often expiry is checked, and the retry delay */
};

/* Fills s with the built-in defaults (allocating); s's previous content is ignored. */
void settings_defaults(struct settings *s);
/* Defaults, then the file at path. 0 ok; -1 with *error_r = "FILE:LINE: message" (or
 * "FILE: message" for open errors), valid until the next call in this thread. On error s
 * is left freed (settings_free() on it is still safe). */
int settings_load(struct settings *s, const char *path, const char **error_r);
/* Like settings_load() but from a string; name is used in error messages. */
int settings_load_string(struct settings *s, const char *name, const char *text,
			 const char **error_r);
/* log_level as the log layer's enum (for log_set_level()). */
enum log_level settings_log_level(const struct settings *s);
/* Writes every key = effective value, main.cf style; the output loads back unchanged. */
void settings_print(const struct settings *s, FILE *out);
void settings_free(struct settings *s);

struct buf;
/* The keys a running server reads only when it starts (NULL-terminated): a reload
 * (SIGHUP, `yubin reload`) cannot change them. */
extern const char *const settings_restart_keys[];
/* For a reload: every restart key whose value in fresh differs from live is set back to
 * live's value in fresh, and its name appended to changed (", " between names). Returns
 * how many were. */
size_t settings_keep_restart_keys(struct settings *fresh, const struct settings *live,
				  struct buf *changed);

#endif
