/* `yubin serve` (see serve.h): bind as root, drop privileges, open the databases,
 * store and queue, run the protocol servers on one libevent loop; SIGTERM/SIGINT stop
 * gracefully, SIGHUP (or `yubin reload`) reloads the whole config (serve_reload()), SIGUSR1
 * flushes the queue. Under systemd (Type=notify) it says READY=1 once serving, WATCHDOG=1 at
 * half the watchdog interval, STOPPING=1 on the way out. */
#include "cli/serve.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "auth/ban.h"
#include "auth/penalty.h"
#include "cli/control.h"
#include "cli/privs.h"
#include "cli/sd_notify.h"
#include "conf/settings.h"
#include "db/db_kv.h"
#include "dns/dns.h"
#include "filter/milter_pool.h"
#include "filter/rspamd_learn.h"
#include "acme/acme_challenge.h"
#include "acme/acme_client.h"
#include "cli/serve_acme_names.h"
#include "http/http_server.h"
#include "log/log.h"
#include "mailauth/dkim_keyring.h"
#include "net/server.h"
#include "net/tls.h"
#include "net/workers.h"
#include "pop3/pop3_server.h"
#include "imap/imap_server.h"
#include "queue/queue.h"
#include "smtp/smtp_guard.h"
#include "smtp/smtp_server.h"
#include "store/store.h"
#include "util/recent.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/xmalloc.h"

/* Descriptors kept out of the connection limits: the store's account databases (SQLite,
 * WAL and shm for up to STORE_ACCOUNT_CACHE idle accounts and those in use), message
 * files being read or written, the queue, the listeners and the log. */
#define SERVE_FD_RESERVE 1024

struct serve {
	struct settings *settings;
	struct event_base *base;
	struct accounts *accounts;
	struct store *store;
	struct queue *queue;
	struct dns *dns; /* inbound mail authentication's lookups (one cache for all sessions) */
	struct smtp_guards *guards; /* DNSBL, rate limits, greylisting (smtp_guard.h) */
	struct workers *workers;
	struct workers *spam_trainer;          /* one thread: spam trainings run in order */
	struct rspamd_learner *rspamd_learner; /* one thread: posts to rspamd_controller */
	struct penalty *penalty;
	SSL_CTX *tls;
	SSL_CTX *client_tls;
	struct dns *dkim_dns;
	struct dkim_keyring *dkim;
	struct smtp_server_deps smtp_deps;
	struct server *smtp;
	struct pop3_server_deps pop3_deps;
	struct server *pop3;
	struct imap_server_deps imap_deps;
	struct server *imap;
	struct http_deps http_deps;
	struct http_server *http;
	struct acme_client *acme;            /* acme = yes */
	struct serve_acme_names *acme_names; /* acme_domains empty, a web listener on */
	struct event *watchdog;
	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct control *control; /* data_directory/control.sock (`yubin status`) */
	char *pid_file;
	/* the settings a reload replaced: kept until the end, as sessions, the queue and
	 * the worker threads may still hold pointers into them (a hostname, a domain) */
	struct settings *retired;
	size_t n_retired;
	bool stopping;
	unsigned stop_ticks;
	bool milters_closed; /* serve_stop_loop told the idle milter connections QUIT */
};

static void
serve_set_log_level(const struct settings *s)
{
	if (s->log_level == NULL)
		return;
	if (strcmp(s->log_level, "debug") == 0)
		log_set_level(LOG_LEVEL_DEBUG);
	else if (strcmp(s->log_level, "warn") == 0)
		log_set_level(LOG_LEVEL_WARN);
	else if (strcmp(s->log_level, "error") == 0)
		log_set_level(LOG_LEVEL_ERROR);
	else
		log_set_level(LOG_LEVEL_INFO);
	log_init_from_env(); /* YUBIN_LOG_LEVEL wins, for tests and debugging */
	if (s->log_format != NULL)
		log_set_json(strcmp(s->log_format, "json") == 0);
	if (s->log_target != NULL)
		log_set_syslog(strcmp(s->log_target, "syslog") == 0);
}

/* systemd's watchdog: alive as long as the loop turns */
static void
serve_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify_send("WATCHDOG=1");
}

/* The configured pair, or a self-signed pair generated into data_directory/tls/. With
 * acme = yes: the ACME certificate once there is one, and answers to tls-alpn-01. */
static SSL_CTX *
serve_load_tls_files(const struct settings *s, const char **error_r)
{
	char cert[PATH_MAX], key[PATH_MAX];

	if (s->acme) {
		char *ac = acme_cert_path(s), *ak = acme_key_path(s);
		SSL_CTX *ctx = NULL;
		if (file_exists(ac) && file_exists(ak))
			ctx = tls_server_ctx_new(ac, ak, error_r);
		free(ac);
		free(ak);
		if (ctx != NULL)
			return ctx;
	}
	if (s->tls_cert_file != NULL && s->tls_key_file != NULL)
		return tls_server_ctx_new(s->tls_cert_file, s->tls_key_file, error_r);
	snprintf(cert, sizeof(cert), "%s/tls", s->data_directory);
	if (file_mkdir_p(cert, 0700) < 0) {
		*error_r = "cannot create the tls directory in data_directory";
		return NULL;
	}
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", s->data_directory);
	snprintf(key, sizeof(key), "%s/tls/key.pem", s->data_directory);
	if (!file_exists(cert) || !file_exists(key)) {
		log_info("serve: generating a self-signed certificate for %s in %s", s->myhostname,
			 cert);
		if (tls_generate_self_signed(cert, key, s->myhostname, error_r) < 0)
			return NULL;
	}
	return tls_server_ctx_new(cert, key, error_r);
}

/* The DKIM signing keys (data_directory/dkim): read at start and at SIGHUP, which also
 * looks their DNS records up again (docs/dkim.md, rotation). */
static void
serve_load_dkim(struct serve *sv)
{
	char *dir = xasprintf("%s/dkim", sv->settings->data_directory);

	if (sv->dkim != NULL)
		dkim_keyring_load(sv->dkim, dir);
	free(dir);
}

static SSL_CTX *
serve_load_tls(const struct settings *s, const char **error_r)
{
	SSL_CTX *ctx = serve_load_tls_files(s, error_r);

	if (ctx != NULL && s->acme)
		tls_server_ctx_acme_alpn(ctx, acme_challenge_alpn_use);
	return ctx;
}

/* src/acme has a new certificate: every TLS listener shares sv->tls, so swapping its pair
 * serves the new one on the next handshake, without a restart. */
static void
serve_acme_cert(const char *cert_file, const char *key_file, void *arg)
{
	struct serve *sv = arg;
	const char *error;

	if (tls_server_ctx_swap_cert(sv->tls, cert_file, key_file, &error) < 0)
		log_error("serve: acme: cannot use the new certificate: %s", error);
	else
		log_info("serve: acme: now serving the certificate of %s", cert_file);
}

/* After a stop signal: keep the loop running while sessions still have a command in
 * flight (a delivery, an APPEND, a RETR) or flush a last reply, checking every 20 ms,
 * for at most 5 s. Then the idle milter connections (the last sessions may just have
 * left theirs) are told QUIT, and one more tick lets that go out. */
static void
serve_stop_loop(evutil_socket_t fd, short what, void *arg)
{
	struct serve *sv = arg;
	struct timeval tick = {0, 20000};

	(void)fd;
	(void)what;
	if ((server_busy(sv->smtp) || server_busy(sv->pop3) || server_busy(sv->imap)) &&
	    ++sv->stop_ticks < 250) {
		event_base_once(sv->base, -1, EV_TIMEOUT, serve_stop_loop, sv, &tick);
		return;
	}
	if (!sv->milters_closed) {
		sv->milters_closed = true;
		milter_pool_close_all(sv->base);
		event_base_once(sv->base, -1, EV_TIMEOUT, serve_stop_loop, sv, &tick);
		return;
	}
	event_base_loopexit(sv->base, NULL);
}

static void serve_fit_fd_limit(struct settings *s);

static void
serve_reload_abort(struct serve *sv)
{
	server_reload_abort(sv->smtp);
	server_reload_abort(sv->pop3);
	server_reload_abort(sv->imap);
}

/* Puts fresh in place of the live settings, keeping the old content alive (retired). The
 * live struct stays where it is: every component holds a pointer to it and reads its
 * fields when it uses them, so sessions already running see the new limits and domains
 * from their next command on. */
static void
serve_swap_settings(struct serve *sv, struct settings *fresh)
{
	sv->retired = xrealloc(sv->retired, (sv->n_retired + 1) * sizeof(*sv->retired));
	sv->retired[sv->n_retired++] = *sv->settings;
	*sv->settings = *fresh;
	memset(fresh, 0, sizeof(*fresh));
}

/* SIGHUP and `yubin reload`: loads the config file again and applies all of it, or, when
 * it has an error (or a new listen address cannot be bound, or the certificate cannot
 * be loaded), none of it. Listen addresses still configured keep their socket, new ones
 * are bound, removed ones closed (their sessions go on). The keys of
 * settings_restart_keys keep their value until a restart (with a warning). 0 done; -1
 * with *error_r (valid until the next reload), logged. */
static int
serve_reload(struct serve *sv, const char **error_r)
{
	static char error[1024];
	struct settings fresh;
	struct buf kept = BUF_INIT;
	const char *why;
	SSL_CTX *tls;

	if (sv->stopping) {
		*error_r = "the server is stopping";
		return -1;
	}
	if (settings_load(&fresh, sv->settings->config_path, &why) < 0) {
		snprintf(error, sizeof(error), "%s", why);
		goto refused;
	}
	if (settings_keep_restart_keys(&fresh, sv->settings, &kept) > 0)
		log_warn("serve: reload: %s changed: takes effect at the next restart",
			 buf_cstr(&kept));
	buf_free(&kept);
	serve_fit_fd_limit(&fresh);
	tls = serve_load_tls(&fresh, &why);
	if (tls == NULL) {
		snprintf(error, sizeof(error), "TLS: %s", why);
		settings_free(&fresh);
		goto refused;
	}
	/* smtp's, pop3's and imap's new listeners are all bound before any is committed */
	if (smtp_server_reload_prepare(sv->smtp, &fresh, &why) < 0 ||
	    pop3_server_reload_prepare(sv->pop3, &fresh, &why) < 0 ||
	    imap_server_reload_prepare(sv->imap, &fresh, &why) < 0) {
		snprintf(error, sizeof(error), "%s", why);
		serve_reload_abort(sv);
		SSL_CTX_free(tls);
		settings_free(&fresh);
		goto refused;
	}
	SSL_CTX_free(sv->tls);
	sv->tls = tls;
	sv->smtp_deps.tls = tls;
	sv->pop3_deps.tls = tls;
	sv->imap_deps.tls = tls;
	serve_swap_settings(sv, &fresh);
	/* the servers' hostname now points into the live settings' (moved) strings */
	server_reload_commit(sv->smtp);
	server_reload_commit(sv->pop3);
	server_reload_commit(sv->imap);
	serve_set_log_level(sv->settings);
	serve_load_dkim(sv); /* new selectors (rotation, docs/dkim.md) */
	log_info("serve: reload: done: myhostname=%s", sv->settings->myhostname);
	return 0;
refused:
	log_error("serve: reload refused, keeping the running config: %s", error);
	*error_r = error;
	return -1;
}

static void
serve_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct serve *sv = arg;
	struct timeval grace = {0, 20000};

	(void)what;
	if (sig == SIGUSR1) {
		log_info("serve: SIGUSR1: flushing the queue");
		if (sv->queue != NULL)
			queue_flush(sv->queue);
		return;
	}
	if (sig == SIGHUP) {
		const char *error;

		log_info("serve: SIGHUP: reloading %s", sv->settings->config_path);
		(void)serve_reload(sv, &error);
		return;
	}
	if (sv->stopping)
		return;
	sv->stopping = true;
	log_info("serve: signal %d: shutting down", (int)sig);
	sd_notify_send("STOPPING=1");
	http_server_shutdown(sv->http);
	server_shutdown(sv->smtp);
	server_shutdown(sv->pop3);
	server_shutdown(sv->imap);
	if (sv->queue != NULL)
		queue_shutdown(sv->queue);
	/* let the 421s go out and in-flight deliveries finish (serve_stop_loop) */
	event_base_once(sv->base, -1, EV_TIMEOUT, serve_stop_loop, sv, &grace);
}

static int serve_open_guards(struct serve *sv, const char **error_r);

static int
serve_open_services(struct serve *sv, const char **error_r)
{
	const struct settings *s = sv->settings;
	struct queue_deps qdeps;

	sv->accounts = accounts_open(s, error_r);
	if (sv->accounts == NULL)
		return -1;
	sv->store = store_open(s->data_directory, sv->base, error_r);
	if (sv->store == NULL)
		return -1;
	if (!store_owns_journal(sv->store)) {
		*error_r = "another yubin serve is already running on this data_directory";
		return -1;
	}
	sv->workers = workers_new(sv->base, 2);
	sv->spam_trainer = workers_new(sv->base, 1);
	sv->rspamd_learner = rspamd_learner_new(sv->base);
	sv->penalty = penalty_new(s->auth_failure_delay, PENALTY_MAX_DELAY_MS,
				  PENALTY_DEFAULT_ENTRIES, PENALTY_DEFAULT_EXPIRE);
	sv->client_tls = tls_client_ctx_new(error_r);
	if (sv->client_tls == NULL)
		return -1;
	qdeps.base = sv->base;
	qdeps.settings = s;
	qdeps.accounts = sv->accounts;
	qdeps.store = sv->store;
	qdeps.client_tls = sv->client_tls;
	/* DKIM signing keys (dkim_sign = no: none loaded, no lookups); their own resolver
	 * without an answer cache: a record just published must be seen at the next check,
	 * whatever TTL its absence had */
	if (s->dkim_sign) {
		sv->dkim_dns = dns_new(sv->base, (const char *const *)s->dns_resolvers, error_r);
		if (sv->dkim_dns == NULL)
			return -1;
		dns_set_cache_size(sv->dkim_dns, 0);
		sv->dkim = dkim_keyring_new(sv->dkim_dns, s->dkim_dns_check_interval);
		serve_load_dkim(sv);
	}
	qdeps.dkim = sv->dkim;
	sv->smtp_deps.dkim = sv->dkim;
	/* one resolver and answer cache for the queue's routes and the SMTP checks (SPF,
	 * DKIM, DMARC, DNSBL): an MX or A record looked up once serves both */
	sv->dns = dns_new(sv->base, (const char *const *)s->dns_resolvers, error_r);
	if (sv->dns == NULL)
		return -1;
	dns_set_cache_size(sv->dns, s->dns_cache_size);
	qdeps.dns = sv->dns;
	sv->queue = queue_new(&qdeps, error_r);
	if (sv->queue == NULL)
		return -1;
	sv->smtp_deps.dns = sv->dns;
	if (serve_open_guards(sv, error_r) < 0)
		return -1;
	sv->smtp_deps.accounts = sv->accounts;
	sv->smtp_deps.store = sv->store;
	sv->smtp_deps.queue = sv->queue;
	sv->smtp_deps.workers = sv->workers;
	sv->smtp_deps.penalty = sv->penalty;
	sv->pop3_deps.accounts = sv->accounts;
	sv->pop3_deps.store = sv->store;
	sv->pop3_deps.workers = sv->workers;
	sv->pop3_deps.penalty = sv->penalty;
	sv->imap_deps.accounts = sv->accounts;
	sv->imap_deps.store = sv->store;
	sv->imap_deps.workers = sv->workers;
	sv->imap_deps.spam_trainer = sv->spam_trainer;
	sv->imap_deps.rspamd_learner = sv->rspamd_learner;
	sv->imap_deps.penalty = sv->penalty;
	return 0;
}

/* The guards against abuse (docs/guards.md): the login bans shared by SMTP AUTH, IMAP and
 * POP3 (through the penalty), persisted in data_directory/bans.db, and SMTP's tables. */
static int
serve_open_guards(struct serve *sv, const char **error_r)
{
	const struct settings *s = sv->settings;

	if (s->auth_ban_threshold > 0) {
		char *path = xasprintf("%s/%s", s->data_directory, BAN_DB_NAME);
		struct db_kv *kv = db_kv_open(path, sv->base, error_r);

		free(path);
		if (kv == NULL)
			return -1;
		penalty_set_ban(sv->penalty, ban_new(s->auth_ban_threshold, s->auth_ban_window,
						     s->auth_ban_time, s->guard_table_size, kv));
	}
	sv->guards = smtp_guards_new(s, sv->base, error_r);
	if (sv->guards == NULL)
		return -1;
	sv->smtp_deps.guards = sv->guards;
	return 0;
}

static int
serve_control_reload(void *ctx, const char **error_r)
{
	struct serve *sv = ctx;

	log_info("serve: control: reloading %s", sv->settings->config_path);
	return serve_reload(sv, error_r);
}

/* The control socket is a convenience: the server runs without it (with a warning). */
static void
serve_open_control(struct serve *sv)
{
	struct control_deps d = {.base = sv->base,
				 .settings = sv->settings,
				 .smtp = sv->smtp,
				 .pop3 = sv->pop3,
				 .imap = sv->imap,
				 .queue = sv->queue,
				 .penalty = sv->penalty,
				 .tls = &sv->tls,
				 .reload = serve_control_reload,
				 .reload_ctx = sv,
				 .acme = &sv->acme,
				 .started = time(NULL)};
	const char *error;

	sv->control = control_new(&d, &error);
	if (sv->control == NULL)
		log_warn("serve: no control socket (yubin status): %s", error);
}

static void
serve_write_pid(struct serve *sv)
{
	char pid[32];
	const char *error;

	sv->pid_file = xasprintf("%s/yubin.pid", sv->settings->data_directory);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (file_write_atomic(sv->pid_file, pid, strlen(pid), false, &error) < 0)
		log_warn("serve: cannot write the pid file: %s", error);
}

/* Scales *max down by num/den (at least 1). */
static void
serve_scale_limit(unsigned *max, unsigned long long num, unsigned long long den)
{
	unsigned long long v = (unsigned long long)*max * num / den;

	*max = v > 0 ? (unsigned)v : 1;
}

/* Every connection is a descriptor: raise the soft limit to the hard one, then keep the
 * connection limits of the protocols that listen below it, with a reserve for the
 * store's databases and message files, the queue and the listeners. Past the limit,
 * accept fails with EMFILE for every protocol at once; below it, the excess client
 * gets a proper "too many connections" reply. The limits are lowered with a warning
 * rather than refusing to start: the descriptor limit is the machine's decision. */
static void
serve_fit_fd_limit(struct settings *s)
{
	struct rlimit rl;
	unsigned long long total = 0, budget, reserve;
	bool smtp = s->smtp_listen.n + s->submission_listen.n + s->submissions_listen.n > 0;
	bool pop3 = s->pop3_listen.n + s->pop3s_listen.n > 0;
	bool imap = s->imap_listen.n + s->imaps_listen.n > 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	reserve = rl.rlim_cur >= 4 * SERVE_FD_RESERVE ? SERVE_FD_RESERVE : rl.rlim_cur / 4;
	budget = rl.rlim_cur - reserve;
	total = (smtp ? s->smtp_max_connections : 0) + (pop3 ? s->pop3_max_connections : 0) +
		(imap ? s->imap_max_connections : 0);
	if (total <= budget)
		return;
	log_warn("serve: the descriptor limit is %llu: lowering the connection limits "
		 "(smtp+pop3+imap %llu) to fit %llu, keeping %llu for files and databases",
		 (unsigned long long)rl.rlim_cur, total, budget, reserve);
	serve_scale_limit(&s->smtp_max_connections, budget, total);
	serve_scale_limit(&s->pop3_max_connections, budget, total);
	serve_scale_limit(&s->imap_max_connections, budget, total);
	if (s->smtp_max_connections_per_ip > s->smtp_max_connections)
		s->smtp_max_connections_per_ip = s->smtp_max_connections;
	log_warn("serve: smtp_max_connections=%u pop3_max_connections=%u "
		 "imap_max_connections=%u",
		 s->smtp_max_connections, s->pop3_max_connections, s->imap_max_connections);
}

static void
serve_free(struct serve *sv)
{
	/* Asynchronous work still in flight calls back into sessions: let it all finish
	 * (password checks, spooling, deliveries) before the sessions are freed. */
	control_free(&sv->control);
	workers_free(&sv->workers);
	workers_free(&sv->spam_trainer);
	rspamd_learner_free(&sv->rspamd_learner);
	serve_acme_names_free(&sv->acme_names); /* its lookups call into the client */
	acme_client_free(&sv->acme); /* after the workers: their done() may still use it */
	if (sv->queue != NULL)
		queue_free(&sv->queue);
	store_close(&sv->store);
	server_free(&sv->smtp);
	dns_free(&sv->dns); /* after the SMTP sessions: their lookups are cancelled by then */
	smtp_guards_free(&sv->guards);
	server_free(&sv->pop3);
	server_free(&sv->imap);
	http_server_free(&sv->http);
	if (sv->watchdog != NULL)
		event_free(sv->watchdog);
	penalty_free(&sv->penalty);
	dkim_keyring_free(&sv->dkim);
	dns_free(&sv->dkim_dns);
	accounts_close(&sv->accounts);
	if (sv->sig_term != NULL) {
		event_free(sv->sig_term);
		event_free(sv->sig_int);
		event_free(sv->sig_hup);
		event_free(sv->sig_usr1);
	}
	if (sv->pid_file != NULL) {
		unlink(sv->pid_file);
		free(sv->pid_file);
	}
	SSL_CTX_free(sv->tls);
	SSL_CTX_free(sv->client_tls);
	for (size_t i = 0; i < sv->n_retired; i++)
		settings_free(&sv->retired[i]);
	free(sv->retired);
	if (sv->base != NULL)
		event_base_free(sv->base);
}

int
serve(struct settings *settings, int argc, char **argv)
{
	struct serve sv;
	const char *error = NULL;
	int ret = EX_OK;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: yubin [-c FILE] serve\n");
		return EX_USAGE;
	}
	memset(&sv, 0, sizeof(sv));
	sv.settings = settings;
	serve_set_log_level(settings);
	signal(SIGPIPE, SIG_IGN);
	serve_fit_fd_limit(settings);
	evthread_use_pthreads();
	sv.base = event_base_new();
	if (sv.base == NULL || file_mkdir_p(settings->data_directory, 0750) < 0) {
		log_error("serve: cannot set up the event loop or %s", settings->data_directory);
		serve_free(&sv);
		return EX_OSERR;
	}
	/* handlers first: a SIGTERM that comes as soon as the ports accept must stop us
	 * gracefully, not kill us */
	sv.sig_term = evsignal_new(sv.base, SIGTERM, serve_on_signal, &sv);
	sv.sig_int = evsignal_new(sv.base, SIGINT, serve_on_signal, &sv);
	sv.sig_hup = evsignal_new(sv.base, SIGHUP, serve_on_signal, &sv);
	sv.sig_usr1 = evsignal_new(sv.base, SIGUSR1, serve_on_signal, &sv);
	evsignal_add(sv.sig_term, NULL);
	evsignal_add(sv.sig_int, NULL);
	evsignal_add(sv.sig_hup, NULL);
	evsignal_add(sv.sig_usr1, NULL);
	sv.tls = serve_load_tls(settings, &error);
	if (sv.tls == NULL) {
		log_error("serve: TLS: %s", error);
		serve_free(&sv);
		return EX_CONFIG;
	}
	sv.smtp_deps.base = sv.base;
	sv.smtp_deps.settings = settings;
	sv.smtp_deps.tls = sv.tls;
	sv.pop3_deps.base = sv.base;
	sv.pop3_deps.settings = settings;
	sv.pop3_deps.tls = sv.tls;
	sv.imap_deps.base = sv.base;
	sv.imap_deps.settings = settings;
	sv.imap_deps.tls = sv.tls;
	sv.http_deps.base = sv.base;
	sv.http_deps.settings = settings;
	sv.http_deps.tls = &sv.tls;
	sv.http_deps.start_time = time(NULL);
	recent_init(settings->admin_recent_events); /* the admin page's recent events */
	/* bind while still root, then drop, then open what the server writes */
	sv.smtp = smtp_server_new(&sv.smtp_deps, &error);
	if (sv.smtp != NULL)
		sv.pop3 = pop3_server_new(&sv.pop3_deps, &error);
	if (sv.pop3 != NULL)
		sv.imap = imap_server_new(&sv.imap_deps, &error);
	if (sv.imap != NULL)
		sv.http = http_server_new(&sv.http_deps, &error);
	if (sv.smtp == NULL || sv.pop3 == NULL || sv.imap == NULL || sv.http == NULL ||
	    privs_drop(settings, &error) < 0 || serve_open_services(&sv, &error) < 0) {
		log_error("serve: %s", error);
		serve_free(&sv);
		return EX_UNAVAILABLE;
	}
	http_server_set_queue(sv.http, sv.queue);
	sv.http_deps.accounts = sv.accounts;
	sv.http_deps.store = sv.store;
	sv.http_deps.workers = sv.workers;
	sv.http_deps.penalty = sv.penalty;
	sv.http_deps.smtp = sv.smtp;
	sv.http_deps.pop3 = sv.pop3;
	sv.http_deps.imap = sv.imap;
	http_server_set_admin(sv.http, &sv.http_deps);
	if (settings->acme) {
		/* the autoconfig and MTA-STS names join myhostname once they point here */
		bool names = settings->acme_domains == NULL &&
			     (settings->http_listen.n > 0 || settings->https_listen.n > 0);

		sv.acme = acme_client_new(sv.base, sv.workers, settings, names, serve_acme_cert,
					  &sv, &error);
		if (sv.acme == NULL)
			log_error("serve: acme: %s", error);
		else if (names)
			sv.acme_names = serve_acme_names_start(sv.base, sv.dns, settings, sv.acme);
	}
	serve_write_pid(&sv);
	serve_open_control(&sv);
	log_info("serve: yubin ready: myhostname=%s data_directory=%s", settings->myhostname,
		 settings->data_directory);
	if (sd_notify_send("READY=1\nSTATUS=serving") < 0)
		log_warn("serve: cannot notify NOTIFY_SOCKET");
	if (sd_notify_watchdog_usec() > 0) {
		uint64_t half = sd_notify_watchdog_usec() / 2;
		struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
		sv.watchdog = event_new(sv.base, -1, EV_PERSIST, serve_watchdog, &sv);
		event_add(sv.watchdog, &tv);
		sd_notify_send("WATCHDOG=1");
	}
	if (event_base_dispatch(sv.base) < 0) {
		log_error("serve: event loop failed");
		ret = EX_SOFTWARE;
	}
	log_info("serve: stopped");
	serve_free(&sv);
	return ret;
}
