/* Unit tests for the config loader: defaults, every key, comments and continuation
 * lines, unknown keys and bad values reported as FILE:LINE, checks across keys, and
 * settings_print() output that loads back unchanged. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/settings.h"
#include "util/buf.h"

static char *
print_to_string(const struct settings *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	settings_print(s, f);
	fclose(f);
	return text;
}

static void
load_ok(struct settings *s, const char *text)
{
	const char *error = NULL;

	if (settings_load_string(s, "t.conf", text, &error) < 0)
		fail_msg("load failed: %s", error);
}

static void
load_fails(const char *text, const char *expected_error)
{
	struct settings s;
	const char *error = NULL;

	if (settings_load_string(&s, "t.conf", text, &error) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(error, expected_error) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", error, expected_error);
	settings_free(&s); /* safe after a failed load */
}

static void
test_defaults(void **state)
{
	struct settings s;

	load_ok(&s, "");
	assert_non_null(s.myhostname);
	assert_non_null(s.mydomains);
	assert_non_null(s.mydomains[0]);
	assert_string_equal(s.data_directory, "/var/lib/yubin");
	assert_int_equal(s.smtp_listen.n, 1);
	assert_int_equal(s.smtp_listen.addrs[0].port, 25);
	assert_int_equal(s.submission_listen.addrs[0].port, 587);
	assert_int_equal(s.submissions_listen.addrs[0].port, 465);
	assert_int_equal(s.imap_listen.addrs[0].port, 143);
	assert_int_equal(s.imaps_listen.addrs[0].port, 993);
	assert_int_equal(s.pop3_listen.addrs[0].port, 110);
	assert_int_equal(s.pop3s_listen.addrs[0].port, 995);
	assert_null(s.tls_cert_file);
	assert_null(s.tls_key_file);
	assert_int_equal(s.message_size_limit, 26214400);
	assert_int_equal(s.mynetworks.n, 2);
	assert_null(s.dns_resolvers);
	assert_int_equal(s.smtp_delivery_port, 25);
	assert_null(s.relayhost);
	if (geteuid() == 0)
		assert_string_equal(s.run_as_user, "yubin");
	else
		assert_null(s.run_as_user);
	assert_int_equal(s.recipient_delimiter, '+');
	assert_int_equal(s.smtp_max_recipients, 1000);
	assert_int_equal(s.smtp_max_errors, 20);
	assert_int_equal(s.dns_cache_size, 10000);
	assert_int_equal(s.smtp_timeout, 300);
	assert_int_equal(s.smtp_max_connections, 1000);
	assert_int_equal(s.smtp_max_connections_per_ip, 50);
	assert_int_equal(s.pop3_timeout, 600);
	assert_int_equal(s.imap_timeout, 1800);
	assert_int_equal(s.imap_max_connections, 20000);
	assert_int_equal(s.pop3_max_connections, 1000);
	assert_int_equal(s.max_connections_per_ip, 200);
	assert_int_equal(s.maximal_queue_lifetime, 5 * 86400);
	assert_int_equal(s.minimal_backoff_time, 300);
	assert_int_equal(s.maximal_backoff_time, 4000);
	assert_int_equal(s.auth_failure_delay, 1000);
	assert_string_equal(s.log_level, "info");
	assert_true(s.dkim_sign);
	assert_int_equal(s.dkim_dns_check_interval, 3600);
	assert_int_equal(settings_log_level(&s), LOG_LEVEL_INFO);
	assert_true(s.mailauth_checks);
	assert_int_equal(s.mailauth_timeout, 5000);
	assert_true(s.dmarc_enforce);
	assert_false(s.dmarc_temperror);
	assert_int_equal(s.dkim_verify_max_signatures, 10);
	settings_free(&s);
}

static const char all_keys[] = "# every key\n"
			       "myhostname = mx1.Example.TEST\n"
			       "mydomains = Example.TEST, other.test\n"
			       "data_directory = /tmp/yubin-data\n"
			       "smtp_listen = 127.0.0.1:2525\n"
			       "submission_listen = 127.0.0.1:2587, [::1]:2587\n"
			       "submissions_listen = :2465\n"
			       "imap_listen =\n"
			       "imaps_listen = 127.0.0.2:2993\n"
			       "pop3_listen = 127.0.0.1:2110\n"
			       "pop3s_listen = 127.0.0.1:2995\n"
			       "tls_cert_file = /etc/ssl/cert.pem\n"
			       "tls_key_file = /etc/ssl/key.pem\n"
			       "message_size_limit = 10m\n"
			       "mynetworks = 10.0.0.0/8\n"
			       "dns_resolvers = 127.0.0.53, [::1]:5353, 127.0.0.1:5353\n"
			       "smtp_delivery_port = 2525\n"
			       "relayhost = [smart.example.net]:587\n"
			       "relayhost_username = bob\n"
			       "relayhost_password_file = /etc/yubin/relay.pw\n"
			       "run_as_user = mail\n"
			       "recipient_delimiter = -\n"
			       "smtp_max_recipients = 50\n"
			       "smtp_max_errors = 5\n"
			       "smtp_timeout = 5m\n"
			       "smtp_max_connections = 100\n"
			       "smtp_max_connections_per_ip = 10\n"
			       "pop3_timeout = 10m\n"
			       "imap_timeout = 1h\n"
			       "imap_max_connections = 300\n"
			       "pop3_max_connections = 30\n"
			       "max_connections_per_ip = 20\n"
			       "maximal_queue_lifetime = 2d\n"
			       "minimal_backoff_time = 60s\n"
			       "maximal_backoff_time = 1h\n"
			       "auth_failure_delay = 2s\n"
			       "log_level = debug\n"
			       "mailauth_checks = no\n"
			       "mailauth_timeout = 2s\n"
			       "dmarc_enforce = no\n"
			       "dmarc_temperror = defer\n"
			       "dkim_verify_max_signatures = 3\n"

			       "dkim_sign = no\n"
			       "dkim_dns_check_interval = 10m\n";

static void
check_all_keys(const struct settings *s)
{
	assert_string_equal(s->myhostname, "mx1.Example.TEST");
	assert_string_equal(s->mydomains[0], "example.test");
	assert_string_equal(s->mydomains[1], "other.test");
	assert_null(s->mydomains[2]);
	assert_string_equal(s->data_directory, "/tmp/yubin-data");
	assert_int_equal(s->smtp_listen.n, 1);
	assert_string_equal(s->smtp_listen.addrs[0].host, "127.0.0.1");
	assert_int_equal(s->smtp_listen.addrs[0].port, 2525);
	assert_int_equal(s->submission_listen.n, 2);
	assert_string_equal(s->submission_listen.addrs[1].host, "::1");
	assert_string_equal(s->submissions_listen.addrs[0].host, "");
	assert_int_equal(s->submissions_listen.addrs[0].port, 2465);
	assert_int_equal(s->imap_listen.n, 0);
	assert_int_equal(s->imaps_listen.addrs[0].port, 2993);
	assert_int_equal(s->pop3_listen.addrs[0].port, 2110);
	assert_int_equal(s->pop3s_listen.addrs[0].port, 2995);
	assert_string_equal(s->tls_cert_file, "/etc/ssl/cert.pem");
	assert_string_equal(s->tls_key_file, "/etc/ssl/key.pem");
	assert_int_equal(s->message_size_limit, 10 * 1024 * 1024);
	assert_int_equal(s->mynetworks.n, 1);
	assert_string_equal(s->dns_resolvers[0], "127.0.0.53");
	assert_string_equal(s->dns_resolvers[1], "[::1]:5353");
	assert_string_equal(s->dns_resolvers[2], "127.0.0.1:5353");
	assert_null(s->dns_resolvers[3]);
	assert_int_equal(s->smtp_delivery_port, 2525);
	assert_string_equal(s->relayhost, "[smart.example.net]:587");
	assert_string_equal(s->relayhost_username, "bob");
	assert_string_equal(s->relayhost_password_file, "/etc/yubin/relay.pw");
	assert_string_equal(s->run_as_user, "mail");
	assert_int_equal(s->recipient_delimiter, '-');
	assert_int_equal(s->smtp_max_recipients, 50);
	assert_int_equal(s->smtp_max_errors, 5);
	assert_int_equal(s->smtp_timeout, 300);
	assert_int_equal(s->smtp_max_connections, 100);
	assert_int_equal(s->smtp_max_connections_per_ip, 10);
	assert_int_equal(s->pop3_timeout, 600);
	assert_int_equal(s->imap_timeout, 3600);
	assert_int_equal(s->imap_max_connections, 300);
	assert_int_equal(s->pop3_max_connections, 30);
	assert_int_equal(s->max_connections_per_ip, 20);
	assert_int_equal(s->maximal_queue_lifetime, 2 * 86400);
	assert_int_equal(s->minimal_backoff_time, 60);
	assert_int_equal(s->maximal_backoff_time, 3600);
	assert_int_equal(s->auth_failure_delay, 2000);
	assert_string_equal(s->log_level, "debug");
	assert_int_equal(settings_log_level(s), LOG_LEVEL_DEBUG);
	assert_false(s->mailauth_checks);
	assert_int_equal(s->mailauth_timeout, 2000);
	assert_false(s->dmarc_enforce);
	assert_true(s->dmarc_temperror);
	assert_int_equal(s->dkim_verify_max_signatures, 3);
	assert_false(s->dkim_sign);
	assert_int_equal(s->dkim_dns_check_interval, 600);
}

static void
test_all_keys(void **state)
{
	struct settings s;

	load_ok(&s, all_keys);
	check_all_keys(&s);
	settings_free(&s);
}

/* The printed settings load back to the same settings (and print the same again). */
static void
test_print_roundtrip(void **state)
{
	const char *texts[] = {"", all_keys,
			       "mydomains =\nrun_as_user =\nrecipient_delimiter =\n"
			       "mynetworks =\nsmtp_listen ="};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct settings s1, s2;
		char *p1, *p2;

		load_ok(&s1, texts[i]);
		p1 = print_to_string(&s1);
		load_ok(&s2, p1);
		p2 = print_to_string(&s2);
		/* The first line names the source; compare the rest. */
		assert_string_equal(strchr(p1, '\n'), strchr(p2, '\n'));
		if (i == 1)
			check_all_keys(&s2);
		free(p1);
		free(p2);
		settings_free(&s1);
		settings_free(&s2);
	}
}

static void
test_syntax(void **state)
{
	struct settings s;

	/* Comments, blank lines, whitespace, CRLF, no spaces around '=', continuation lines
	 * (also across a comment line), '=' inside a value. */
	load_ok(&s, "\n  \n# comment\n   # indented comment\r\n"
		    "myhostname=mail.example.org\r\n"
		    "mydomains = a.test,\n"
		    "    b.test\n"
		    "# between\n"
		    "\tc.test\n"
		    "\n"
		    "relayhost_username = a=b\n"
		    "relayhost = smart.test\n"
		    "relayhost_password_file = /x\n"
		    "smtp_timeout = 1m\n"
		    "smtp_timeout = 2m\n");
	assert_string_equal(s.myhostname, "mail.example.org");
	assert_string_equal(s.mydomains[0], "a.test");
	assert_string_equal(s.mydomains[1], "b.test");
	assert_string_equal(s.mydomains[2], "c.test");
	assert_null(s.mydomains[3]);
	assert_string_equal(s.relayhost_username, "a=b");
	assert_int_equal(s.smtp_timeout, 120); /* the last one wins, as in Postfix */
	settings_free(&s);
}

static void
test_mydomains_default(void **state)
{
	struct settings s;

	load_ok(&s, "myhostname = mail.Example.COM\n");
	assert_string_equal(s.mydomains[0], "example.com");
	assert_null(s.mydomains[1]);
	settings_free(&s);
	load_ok(&s, "myhostname = example.com\n");
	assert_string_equal(s.mydomains[0], "example.com");
	settings_free(&s);
	load_ok(&s, "myhostname = box\n");
	assert_string_equal(s.mydomains[0], "box");
	settings_free(&s);
	/* explicit mydomains wins, in any order */
	load_ok(&s, "mydomains = x.test\nmyhostname = mail.example.com\n");
	assert_string_equal(s.mydomains[0], "x.test");
	settings_free(&s);
}

static void
test_errors(void **state)
{
	load_fails("myhostname = a.test\nfoo = bar\n", "t.conf:2: unknown key 'foo'");
	load_fails("\n\n\nsmtp_listen = 25\n", "t.conf:4: invalid value for smtp_listen");
	load_fails("mydomains = a.test,\n  b_c.test\nx = y\n",
		   "t.conf:1: invalid value for mydomains");
	load_fails("  indented = 1\n", "t.conf:1: continuation line");
	load_fails("# c\njust text\n", "t.conf:2: syntax error");
	load_fails("Smtp_Timeout = 5\n", "t.conf:1: syntax error: bad key name 'Smtp_Timeout'");
	load_fails("= 5\n", "t.conf:1: syntax error");
	load_fails("smtp_timeout = 5x\n", "t.conf:1: invalid value for smtp_timeout: invalid "
					  "duration");
	load_fails("smtp_timeout = 0\n", "out of range");
	load_fails("smtp_timeout = 2d\n", "out of range");
	load_fails("message_size_limit = 1q\n", "invalid size");
	load_fails("message_size_limit = 100\n", "out of range");
	load_fails("smtp_delivery_port = 0\n", "out of range");
	load_fails("smtp_delivery_port = 70000\n", "out of range");
	load_fails("smtp_max_recipients = -1\n", "invalid number");
	load_fails("smtp_max_recipients = 5k\n", "invalid number");
	load_fails("mynetworks = 127.0.0.0/40\n", "t.conf:1: invalid value for mynetworks");
	load_fails("dns_resolvers = resolver.example\n", "invalid value for dns_resolvers");
	load_fails("relayhost = bad_host\n", "invalid value for relayhost");
	load_fails("recipient_delimiter = ++\n", "invalid value for recipient_delimiter");
	load_fails("recipient_delimiter = @\n", "invalid value for recipient_delimiter");
	load_fails("log_level = verbose\n", "invalid value for log_level");
	load_fails("mailauth_checks = true\n", "expected yes or no");
	load_fails("dmarc_temperror = reject\n", "expected accept or defer");
	load_fails("dkim_verify_max_signatures = 0\n", "out of range");
	load_fails("mailauth_timeout = 10ms\n", "out of range");
	load_fails("myhostname =\n", "invalid value for myhostname");
	load_fails("myhostname = a b\n", "invalid host name");
	load_fails("data_directory =\n", "must not be empty");
	load_fails("run_as_user = a b\n", "whitespace");
	load_fails("auth_failure_delay = 20s\n", "out of range");
	load_fails("auth_failure_delay = 1h\n", "invalid delay");
	load_fails("dkim_sign = true\n", "expected yes or no");
	load_fails("dkim_dns_check_interval = 10s\n", "out of range");
	/* across keys, naming the later line */
	load_fails("tls_cert_file = /c.pem\n", "t.conf:1: tls_cert_file and tls_key_file");
	load_fails("a_b_c = 1\n", "unknown key 'a_b_c'");
	load_fails("relayhost_username = u\nrelayhost_password_file = /p\n",
		   "t.conf:1: relayhost_username needs relayhost");
	load_fails("relayhost = r.test\nrelayhost_username = u\n", "t.conf:2: relayhost_username "
								   "and relayhost_password_file");
	load_fails("maximal_backoff_time = 100\n\nminimal_backoff_time = 200\n",
		   "t.conf:3: minimal_backoff_time must not exceed");
}

static void
test_ms_units(void **state)
{
	struct settings s;

	load_ok(&s, "auth_failure_delay = 250ms\n");
	assert_int_equal(s.auth_failure_delay, 250);
	settings_free(&s);
	load_ok(&s, "auth_failure_delay = 0\n");
	assert_int_equal(s.auth_failure_delay, 0);
	settings_free(&s);
}

/* The spam filter's keys: decimal scores (0 = off), their bounds, and a print that loads
 * back the same. */
static void
test_spam_keys(void **state)
{
	struct settings s, s2;
	char *p1, *p2;

	(void)state;
	load_ok(&s, "");
	assert_true(s.spam_threshold == 5.0);
	assert_true(s.spam_reject_threshold == 15.0);
	assert_int_equal(s.spam_max_tokens, 200000);
	assert_int_equal(s.spam_scan_bytes, 65536);
	assert_int_equal(s.spam_min_trained, 10);
	assert_int_equal(s.spam_store_cache, 128);
	assert_int_equal(s.spam_train_max_messages, 1000);
	assert_string_equal(s.spam_filter, "builtin");
	assert_null(s.rspamd_controller);
	assert_null(s.rspamd_controller_password_file);
	assert_int_equal(s.rspamd_learn_timeout, 30);
	assert_int_equal(s.rspamd_learn_queue, 1000);
	assert_int_equal(s.rspamd_learn_max_size, 25 << 20);
	settings_free(&s);
	load_ok(&s, "spam_filter = rspamd\nrspamd_controller = 127.0.0.1:11334\n"
		    "rspamd_controller_password_file = /etc/yubin/rspamd.pw\n"
		    "rspamd_learn_timeout = 1m\nrspamd_learn_queue = 10\n"
		    "rspamd_learn_max_size = 1m\n");
	assert_string_equal(s.spam_filter, "rspamd");
	assert_string_equal(s.rspamd_controller, "127.0.0.1:11334");
	assert_int_equal(s.rspamd_learn_timeout, 60);
	assert_int_equal(s.rspamd_learn_queue, 10);
	p1 = print_to_string(&s);
	assert_non_null(strstr(p1, "spam_filter = rspamd\n"));
	assert_non_null(strstr(p1, "rspamd_controller = 127.0.0.1:11334\n"));
	load_ok(&s2, p1);
	p2 = print_to_string(&s2);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	settings_free(&s);
	settings_free(&s2);
	load_fails("spam_filter = spamassassin\n", "");
	load_fails("rspamd_learn_queue = 0\n", "out of range");
	load_ok(&s, "spam_threshold = 7.5\nspam_reject_threshold = 0\nspam_scan_bytes = 1m\n");
	assert_true(s.spam_threshold == 7.5);
	assert_true(s.spam_reject_threshold == 0.0);
	assert_int_equal(s.spam_scan_bytes, 1 << 20);
	p1 = print_to_string(&s);
	assert_non_null(strstr(p1, "spam_threshold = 7.5\n"));
	assert_non_null(strstr(p1, "spam_reject_threshold = 0\n"));
	load_ok(&s2, p1);
	p2 = print_to_string(&s2);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	settings_free(&s);
	settings_free(&s2);
	load_fails("spam_threshold = -1\n", "invalid score");
	load_fails("spam_threshold = 5 points\n", "invalid score");
	load_fails("spam_threshold = nan\n", "invalid score");
	load_fails("spam_reject_threshold = 10001\n", "invalid score");
	load_fails("spam_max_tokens = 10\n", "out of range");
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/yubin-conf-XXXXXX";
	int fd = mkstemp(path);
	const char *error;
	struct settings s;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "smtp_timeout = 7\nbogus = 1\n", 27), 27);
	close(fd);
	assert_int_equal(settings_load(&s, path, &error), -1);
	assert_non_null(strstr(error, ":2: unknown key 'bogus'"));
	assert_non_null(strstr(error, path));

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "smtp_timeout = 7\n\0x = 1\n", 24), 24);
	close(fd);
	assert_int_equal(settings_load(&s, path, &error), -1);
	assert_non_null(strstr(error, "NUL"));

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "smtp_timeout = 7", 16), 16); /* no final newline */
	close(fd);
	assert_int_equal(settings_load(&s, path, &error), 0);
	assert_int_equal(s.smtp_timeout, 7);
	assert_string_equal(s.config_path, path);
	settings_free(&s);
	unlink(path);

	assert_int_equal(settings_load(&s, "/nonexistent/yubin.conf", &error), -1);
	assert_non_null(strstr(error, "/nonexistent/yubin.conf: cannot read"));
}

/* The content filter keys (docs/filters.md): defaults, values, errors. */
static void
test_filter_keys(void **state)
{
	struct settings s;

	load_ok(&s, "");
	assert_null(s.smtpd_milters);
	assert_null(s.non_smtpd_milters);
	assert_null(s.clamd_socket);
	assert_string_equal(s.milter_default_action, "tempfail");
	assert_string_equal(s.clamd_default_action, "tempfail");
	assert_int_equal(s.milter_connect_timeout, 30);
	assert_int_equal(s.milter_command_timeout, 30);
	assert_int_equal(s.milter_content_timeout, 300);
	assert_int_equal(s.milter_idle_connections, 0);
	assert_int_equal(s.milter_idle_timeout, 30);
	assert_int_equal(s.milter_connection_sessions, 10);
	assert_string_equal(s.milter_reuse_after, "message");
	assert_int_equal(s.clamd_timeout, 60);
	assert_int_equal(s.clamd_max_stream, 25 * 1024 * 1024);
	settings_free(&s);
	load_ok(&s, "smtpd_milters = inet:127.0.0.1:11332, unix:/run/m.sock\n"
		    "non_smtpd_milters = inet:[::1]:8891\n"
		    "milter_default_action = accept\n"
		    "milter_content_timeout = 1m\n"
		    "milter_idle_connections = 16\n"
		    "milter_idle_timeout = 2m\n"
		    "milter_connection_sessions = 100\n"
		    "milter_reuse_after = session\n"
		    "clamd_socket = inet:localhost:3310\n"
		    "clamd_default_action = reject\n"
		    "clamd_max_stream = 10m\n");
	assert_string_equal(s.smtpd_milters[0], "inet:127.0.0.1:11332");
	assert_string_equal(s.smtpd_milters[1], "unix:/run/m.sock");
	assert_null(s.smtpd_milters[2]);
	assert_string_equal(s.non_smtpd_milters[0], "inet:[::1]:8891");
	assert_string_equal(s.milter_default_action, "accept");
	assert_int_equal(s.milter_content_timeout, 60);
	assert_int_equal(s.milter_idle_connections, 16);
	assert_int_equal(s.milter_idle_timeout, 120);
	assert_int_equal(s.milter_connection_sessions, 100);
	assert_string_equal(s.milter_reuse_after, "session");
	assert_string_equal(s.clamd_socket, "inet:localhost:3310");
	assert_string_equal(s.clamd_default_action, "reject");
	assert_int_equal(s.clamd_max_stream, 10 * 1024 * 1024);
	settings_free(&s);
	load_fails("smtpd_milters = tcp:127.0.0.1:1\n", "invalid value for smtpd_milters");
	load_fails("smtpd_milters = inet:127.0.0.1\n", "invalid value for smtpd_milters");
	load_fails("smtpd_milters = unix:\n", "invalid value for smtpd_milters");
	load_fails("clamd_socket = /run/clamd.sock\n", "invalid value for clamd_socket");
	load_fails("milter_default_action = discard\n", "expected tempfail, accept or reject");
	load_fails("clamd_default_action = \n", "expected tempfail, accept or reject");
	load_fails("milter_command_timeout = 0\n", "out of range");
	load_fails("milter_idle_connections = 10001\n", "out of range");
	load_fails("milter_reuse_after = always\n", "milter_reuse_after");
	load_fails("milter_connection_sessions = 0\n", "out of range");
}

/* A reload (serve.c): the keys read only at start keep the running value, named in the
 * list of changed keys; every other key takes the new value. */
static void
test_restart_keys(void **state)
{
	struct settings live, fresh;
	struct buf changed = BUF_INIT;

	(void)state;
	load_ok(&live, "data_directory = /a\ndns_resolvers = 192.0.2.1\nrun_as_user =\n");
	load_ok(&fresh, "data_directory = /b\ndns_resolvers = 192.0.2.9:5353\ngreylist = yes\n"
			"relayhost = [relay.example]:2525\nrun_as_user = nobody\n"
			"message_size_limit = 2m\nmydomains = new.example\n");
	assert_int_equal(settings_keep_restart_keys(&fresh, &live, &changed), 5);
	assert_string_equal(buf_cstr(&changed),
			    "data_directory, run_as_user, dns_resolvers, greylist, relayhost");
	assert_string_equal(fresh.data_directory, "/a");
	assert_string_equal(fresh.dns_resolvers[0], "192.0.2.1");
	assert_null(fresh.dns_resolvers[1]);
	assert_null(fresh.run_as_user);
	assert_false(fresh.greylist);
	assert_null(fresh.relayhost);
	assert_int_equal(fresh.message_size_limit, 2 * 1024 * 1024);
	assert_string_equal(fresh.mydomains[0], "new.example");
	buf_reset(&changed);
	assert_int_equal(settings_keep_restart_keys(&fresh, &live, &changed), 0);
	assert_int_equal(changed.len, 0);
	buf_free(&changed);
	settings_free(&live);
	settings_free(&fresh);
}

/* The guard keys (docs/guards.md): defaults, values, the print that loads back, errors. */
static void
test_guard_keys(void **state)
{
	struct settings s, s2;
	char *p1, *p2;

	(void)state;
	load_ok(&s, "");
	assert_null(s.dnsbl_zones);
	assert_int_equal(s.submission_rate_limit.messages, 0);
	assert_false(s.greylist);
	assert_int_equal(s.auth_ban_threshold, 10);
	settings_free(&s);
	load_ok(&s, "dnsbl_zones = Zen.Example=reject bl.example=2, other.example\n"
		    "submission_rate_limit = 200/1000\ngreylist = yes\ngreylist_delay = 5m\n"
		    "smtpd_greet_delay = 6s\nauth_ban_time = 1d\n");
	assert_string_equal(s.dnsbl_zones[0], "zen.example=reject");
	assert_string_equal(s.dnsbl_zones[2], "other.example");
	assert_null(s.dnsbl_zones[3]);
	assert_int_equal(s.submission_rate_limit.messages, 200);
	assert_int_equal(s.submission_rate_limit.recipients, 1000);
	assert_true(s.greylist);
	assert_int_equal(s.greylist_delay, 300);
	assert_int_equal(s.smtpd_greet_delay, 6000);
	assert_int_equal(s.auth_ban_time, 86400);
	p1 = print_to_string(&s);
	assert_non_null(
		strstr(p1, "dnsbl_zones = zen.example=reject, bl.example=2, other.example\n"));
	assert_non_null(strstr(p1, "submission_rate_limit = 200/1000\n"));
	load_ok(&s2, p1);
	p2 = print_to_string(&s2);
	assert_string_equal(strchr(p1, '\n'), strchr(p2, '\n'));
	free(p1);
	free(p2);
	settings_free(&s);
	settings_free(&s2);
	load_fails("dnsbl_zones = zen.example=sometimes", "invalid DNSBL zone");
	load_fails("dnsbl_zones = zen.example=0", "invalid DNSBL zone");
	load_fails("submission_rate_limit = 10", "invalid rate");
	load_fails("submission_rate_limit = 10/x", "invalid rate");
	load_fails("greylist = maybe", "expected yes or no");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),        cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_print_roundtrip), cmocka_unit_test(test_spam_keys),
		cmocka_unit_test(test_syntax),          cmocka_unit_test(test_mydomains_default),
		cmocka_unit_test(test_errors),          cmocka_unit_test(test_ms_units),
		cmocka_unit_test(test_load_file),       cmocka_unit_test(test_filter_keys),
		cmocka_unit_test(test_guard_keys),      cmocka_unit_test(test_restart_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
