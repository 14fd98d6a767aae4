/* `yubin quickstart ADDRESS`: from nothing to a configured server in one command. Writes a
 * commented config, makes the data directory, the first account (a generated password
 * printed once), postmaster@ as its alias, the DKIM keys (cmd_dkim_keygen), and prints
 * every DNS record to publish as zone-file lines, each with a comment saying what it is
 * for. `yubin dnscheck` (cmd_dnscheck.c) later checks the same records. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "cli/privs.h"
#include "conf/settings.h"
#include "dns/dns.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* 20 characters from 56 (no 0/O, 1/l/I): log2(56) * 20 = 116 bits of randomness. */
#define QS_PASSWORD_LEN 20
static const char qs_password_chars[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

struct quickstart {
	const char *address, *hostname_arg, *config, *data_dir, *ip4, *ip6;
	char *local, *domain, *hostname;
	char selector[32];
	char password[QS_PASSWORD_LEN + 1];
	bool no_acme; /* --no-acme: a demo or a test without the internet */
};

static int
usage(void)
{
	fprintf(stderr,
		"usage: yubin quickstart ADDRESS [--hostname HOST] [--config PATH] "
		"[--data-dir DIR]\n"
		"                        [--ip IPV4] [--ip6 IPV6] [--selector S] [--no-acme]\n"
		"Writes the config (refusing to overwrite one), makes the data directory, the "
		"account\nADDRESS with a generated password, DKIM keys, and prints the DNS "
		"records to publish.\nHOST defaults to mail.DOMAIN.\n");
	return EX_USAGE;
}

static void
qs_password(char out[QS_PASSWORD_LEN + 1])
{
	for (size_t i = 0; i < QS_PASSWORD_LEN; i++)
		out[i] = qs_password_chars[rand_below(sizeof(qs_password_chars) - 1)];
	out[QS_PASSWORD_LEN] = '\0';
}

/* The config file's text: the keys an administrator looks at first, each explained; the
 * rest keep their defaults (docs/configuration.md). */
/* The certificate part of the config: ACME (as mox and Stalwart do it) unless --no-acme,
 * then the lines for a certificate of one's own. */
static char *
qs_tls_text(const struct quickstart *q)
{
	if (q->no_acme)
		return xasprintf("# A certificate from a public CA for myhostname. Without\n"
				 "# these, a self-signed one is generated into data_directory/tls\n"
				 "# at the first start: mail programs will warn about it, and\n"
				 "# other servers' MTA-STS will not accept it. `acme = yes` gets\n"
				 "# one from Let's Encrypt (docs/acme.md).\n"
				 "acme = no\n"
				 "#tls_cert_file = /etc/letsencrypt/live/%s/fullchain.pem\n"
				 "#tls_key_file = /etc/letsencrypt/live/%s/privkey.pem\n",
				 q->hostname, q->hostname);
	return xasprintf("# The certificate comes from Let's Encrypt (ACME, RFC 8555) for\n"
			 "# myhostname at the first start, answered on port 80 (http-01), and\n"
			 "# is renewed 30 days before it expires, without a restart; until\n"
			 "# then a self-signed one serves. `yubin status` shows its state\n"
			 "# (docs/acme.md).\n"
			 "acme = yes\n"
			 "acme_email = %s\n"
			 "# Once the mta-sts and autoconfig names below point here, let the\n"
			 "# certificate cover them too, so that MTA-STS and autoconfiguration\n"
			 "# work over HTTPS:\n"
			 "#acme_domains = %s, mta-sts.%s, autoconfig.%s\n",
			 q->address, q->hostname, q->domain, q->domain);
}

static char *
qs_config_text(const struct quickstart *q)
{
	char *tls, *text;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	tls = qs_tls_text(q);
	text = xasprintf(
		"# yubin configuration, written by `yubin quickstart %s` on %s.\n"
		"# Every key and its default: docs/configuration.md. After a change:\n"
		"#   yubin -c %s check\n"
		"\n"
		"# This host's name: the MX of the mail domains, its A/AAAA records and the\n"
		"# reverse DNS (PTR) of its addresses all name it, and so does its certificate.\n"
		"myhostname = %s\n"
		"\n"
		"# The domains whose mail is delivered into mailboxes here.\n"
		"mydomains = %s\n"
		"\n"
		"# Mailboxes, the queue, DKIM keys (dkim/DOMAIN/SELECTOR.pem), the generated TLS\n"
		"# certificate and the control socket (control.sock) of `yubin status`.\n"
		"data_directory = %s\n"
		"\n"
		"# Listeners (the defaults): SMTP from other servers on 25; mail programs send\n"
		"# on 587 (STARTTLS) and 465 (TLS, RFC 8314), read on 993/143 (IMAP) and\n"
		"# 995/110 (POP3). An empty value turns a listener off.\n"
		"smtp_listen = :25\n"
		"submission_listen = :587\n"
		"submissions_listen = :465\n"
		"imap_listen = :143\n"
		"imaps_listen = :993\n"
		"pop3_listen = :110\n"
		"pop3s_listen = :995\n"
		"\n"
		"# The web side: mail programs' autoconfiguration (Thunderbird, Outlook, Apple),\n"
		"# the MTA-STS policy, a settings page for people and the admin page (/admin,\n"
		"# accounts made with `yubin user add --admin`) on 443; port 80 answers the\n"
		"# ACME http-01 challenges and the same pages but the admin page (docs/http.md).\n"
		"http_listen = :80\n"
		"https_listen = :443\n"
		"\n"
		"%s"
		"\n"
		"# DNS resolvers for MX lookups, SPF/DKIM/DMARC and `yubin dnscheck`\n"
		"# (default: those of /etc/resolv.conf).\n"
		"#dns_resolvers = 127.0.0.1\n",
		q->address, date, q->config, q->hostname, q->domain, q->data_dir, tls);
	free(tls);
	return text;
}

/* Creates the file, never replacing one (O_EXCL): a second quickstart must not clobber a
 * configured server. */
static int
qs_write_config(const char *path, const char *text)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	/* /etc/yubin may not exist yet on a fresh machine */
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (file_mkdir_p(dir, 0755) < 0)
			fprintf(stderr, "yubin: mkdir(%s) failed: %s\n", dir, strerror(errno));
	}
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "yubin: %s: %s\n", path,
			errno == EEXIST ? "exists already: quickstart does not overwrite a config"
					: strerror(errno));
		return -1;
	}
	if (file_write_full(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		fprintf(stderr, "yubin: write(%s) failed: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	file_fsync_dir(path);
	return 0;
}

/* The account and postmaster@DOMAIN (RFC 5321 4.5.1: every domain must have one; the
 * DMARC and TLS-RPT reports go there) as its alias. */
static int
qs_account(const struct settings *s, const struct quickstart *q)
{
	const char *targets[] = {q->address, NULL}, *error = "cannot open the accounts";
	struct accounts *a = accounts_open(s, &error);
	struct store *store = NULL;
	char *name = NULL, *postmaster = xasprintf("postmaster@%s", q->domain);
	int ret = -1;

	if (a != NULL && accounts_user_add(a, q->address, q->password, false, &error) == 0) {
		name = accounts_addr_name(q->address);
		store = store_open(s->data_directory, NULL, &error);
		if (store != NULL && store_account_create(store, name, &error) == 0)
			ret = 0;
	}
	if (ret == 0 && str_casecmp(q->local, "postmaster") != 0 &&
	    accounts_alias_add(a, postmaster, targets, &error) < 0)
		ret = -1;
	if (ret < 0)
		fprintf(stderr, "yubin: %s: %s\n", q->address, error);
	store_close(&store);
	accounts_close(&a);
	free(name);
	free(postmaster);
	return ret;
}

/* ---- the DNS records ---- */

static unsigned
qs_port(const struct listen_list *l)
{
	return l->n > 0 ? l->addrs[0].port : 0;
}

/* RFC 6186 3 / RFC 8314 5.1: a service not offered has the target "." */
static void
qs_srv(const struct quickstart *q, const char *service, unsigned prio, unsigned port,
       const char *comment)
{
	printf("; %s\n", comment);
	if (port == 0)
		printf("_%s._tcp.%s. IN SRV 0 0 0 .\n", service, q->domain);
	else
		printf("_%s._tcp.%s. IN SRV %u 1 %u %s.\n", service, q->domain, prio, port,
		       q->hostname);
}

static void
qs_address_records(const struct quickstart *q)
{
	struct sockaddr_storage ss;
	char rev[80];

	printf("\n; ---- the host ----\n");
	if (q->ip4 != NULL) {
		printf("; %s's IPv4 address\n%s. IN A %s\n", q->hostname, q->hostname, q->ip4);
	} else {
		printf("; %s's IPv4 address: FILL IN the server's public address (quickstart "
		       "was not given --ip)\n",
		       q->hostname);
		printf("%s. IN A 192.0.2.1 ; PLACEHOLDER\n", q->hostname);
	}
	if (q->ip6 != NULL)
		printf("; %s's IPv6 address\n%s. IN AAAA %s\n", q->hostname, q->hostname, q->ip6);
	else
		printf("; %s's IPv6 address, if it has one: FILL IN and uncomment (--ip6 not "
		       "given)\n;%s. IN AAAA 2001:db8::1\n",
		       q->hostname, q->hostname);
	/* Receivers check that the client's address has a PTR naming a host whose address is
	 * that one again (forward-confirmed, RFC 8601 2.7.3 iprev); only the owner of the
	 * address block can publish it. */
	printf("; reverse DNS: ask your hosting provider to set the PTR of each address to %s\n",
	       q->hostname);
	if (q->ip4 != NULL && dns_parse_literal(q->ip4, &ss)) {
		dns_reverse_name(&ss, rev, sizeof(rev));
		printf("%s. IN PTR %s.\n", rev, q->hostname);
	} else {
		printf(";1.2.0.192.in-addr.arpa. IN PTR %s.\n", q->hostname);
	}
	if (q->ip6 != NULL && dns_parse_literal(q->ip6, &ss)) {
		dns_reverse_name(&ss, rev, sizeof(rev));
		printf("%s. IN PTR %s.\n", rev, q->hostname);
	}
}

static void
qs_mail_records(const struct quickstart *q)
{
	printf("\n; ---- mail for %s ----\n", q->domain);
	printf("; MX (RFC 5321 5.1): mail for %s is delivered to %s\n", q->domain, q->hostname);
	printf("%s. IN MX 10 %s.\n", q->domain, q->hostname);
	printf("; SPF (RFC 7208): only the MX hosts send mail from @%s; others fail\n", q->domain);
	printf("%s. IN TXT \"v=spf1 mx -all\"\n", q->domain);
	printf("; SPF of the host's own name (the HELO identity, RFC 7208 2.3)\n");
	printf("%s. IN TXT \"v=spf1 a -all\"\n", q->hostname);
	/* RFC 7489 6.3: p=none asks for reports only; rua goes to our own postmaster, so no
	 * external-destination authorization (7.1) is needed */
	printf("; DMARC (RFC 7489): report only (p=none) at first, reports to postmaster@%s\n",
	       q->domain);
	printf("_dmarc.%s. IN TXT \"v=DMARC1; p=none; rua=mailto:postmaster@%s\"\n", q->domain,
	       q->domain);
	printf("; once the reports show that all your mail passes, tighten it to:\n");
	printf(";_dmarc.%s. IN TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@%s\"\n",
	       q->domain, q->domain);
}

static void
qs_policy_records(const struct quickstart *q)
{
	char id[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(id, sizeof(id), "%Y%m%d%H%M%S", &tm); /* RFC 8461 3.1: 1-32 alphanumerics */
	printf("\n; ---- TLS policies ----\n");
	printf("; MTA-STS (RFC 8461): senders use TLS to %s; change the id whenever the "
	       "policy changes\n",
	       q->hostname);
	printf("_mta-sts.%s. IN TXT \"v=STSv1; id=%s\"\n", q->domain, id);
	printf("; the policy is served at https://mta-sts.%s/.well-known/mta-sts.txt (a "
	       "certificate\n; for that name is needed); its text:\n",
	       q->domain);
	printf(";   version: STSv1\n;   mode: testing\n;   mx: %s\n;   max_age: 86400\n",
	       q->hostname);
	printf("mta-sts.%s. IN CNAME %s.\n", q->domain, q->hostname);
	printf("; TLS-RPT (RFC 8460): senders report TLS failures to postmaster@%s\n", q->domain);
	printf("_smtp._tls.%s. IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@%s\"\n", q->domain,
	       q->domain);
}

static void
qs_client_records(const struct quickstart *q, const struct settings *s)
{
	printf("\n; ---- mail programs find their settings ----\n");
	qs_srv(q, "submissions", 0, qs_port(&s->submissions_listen),
	       "sending with TLS (RFC 8314 5.1)");
	qs_srv(q, "submission", 10, qs_port(&s->submission_listen),
	       "sending with STARTTLS (RFC 6186 3.1)");
	qs_srv(q, "imaps", 0, qs_port(&s->imaps_listen), "IMAP with TLS (RFC 6186 3.2)");
	qs_srv(q, "imap", 10, qs_port(&s->imap_listen), "IMAP with STARTTLS (RFC 6186 3.2)");
	qs_srv(q, "pop3s", 20, qs_port(&s->pop3s_listen), "POP3 with TLS (RFC 6186 3.3)");
	qs_srv(q, "pop3", 30, qs_port(&s->pop3_listen), "POP3 with STARTTLS (RFC 6186 3.3)");
	printf("; Thunderbird's autoconfig and Outlook's autodiscover ask these names\n");
	printf("autoconfig.%s. IN CNAME %s.\n", q->domain, q->hostname);
	printf("autodiscover.%s. IN CNAME %s.\n", q->domain, q->hostname);
}

/* ---- the command ---- */

static int
qs_parse(struct quickstart *q, int argc, char **argv)
{
	struct sockaddr_storage ss;

	for (int i = 1; i < argc; i++) {
		const char **opt = NULL;
		if (strcmp(argv[i], "--hostname") == 0)
			opt = &q->hostname_arg;
		else if (strcmp(argv[i], "--config") == 0)
			opt = &q->config;
		else if (strcmp(argv[i], "--data-dir") == 0)
			opt = &q->data_dir;
		else if (strcmp(argv[i], "--ip") == 0)
			opt = &q->ip4;
		else if (strcmp(argv[i], "--ip6") == 0)
			opt = &q->ip6;
		if (opt != NULL && i + 1 < argc) {
			*opt = argv[++i];
		} else if (strcmp(argv[i], "--selector") == 0 && i + 1 < argc &&
			   strlen(argv[i + 1]) < sizeof(q->selector)) {
			str_lcpy(q->selector, argv[++i], sizeof(q->selector));
		} else if (strcmp(argv[i], "--no-acme") == 0) {
			q->no_acme = true;
		} else if (argv[i][0] != '-' && q->address == NULL) {
			q->address = argv[i];
		} else {
			return usage();
		}
	}
	if (q->address == NULL)
		return usage();
	if (accounts_addr_split(q->address, &q->local, &q->domain) < 0 || q->local[0] == '\0' ||
	    !settings_valid_hostname(q->domain) || strchr(q->domain, '.') == NULL) {
		fprintf(stderr, "yubin: %s: not an address local@domain.tld\n", q->address);
		return EX_DATAERR;
	}
	str_lower(q->domain);
	q->hostname = q->hostname_arg != NULL ? xstrdup(q->hostname_arg)
					      : xasprintf("mail.%s", q->domain);
	str_lower(q->hostname);
	if (!settings_valid_hostname(q->hostname) || strchr(q->hostname, '.') == NULL) {
		fprintf(stderr, "yubin: %s: not a fully qualified host name\n", q->hostname);
		return EX_DATAERR;
	}
	if ((q->ip4 != NULL && (!dns_parse_literal(q->ip4, &ss) || ss.ss_family != AF_INET)) ||
	    (q->ip6 != NULL && (!dns_parse_literal(q->ip6, &ss) || ss.ss_family != AF_INET6))) {
		fprintf(stderr, "yubin: --ip wants an IPv4 address, --ip6 an IPv6 address\n");
		return EX_DATAERR;
	}
	if (q->data_dir[0] != '/' || strpbrk(q->data_dir, " \t\n#") != NULL ||
	    strchr(q->config, '\n') != NULL) {
		fprintf(stderr, "yubin: --data-dir wants an absolute path without blanks or #\n");
		return EX_DATAERR;
	}
	/* as `dkim keygen`: one DNS label once "-ed"/"-rsa" is appended, and a safe file name */
	if (q->selector[0] != '\0' &&
	    (q->selector[0] == '-' || strlen(q->selector) > 59 ||
	     strspn(q->selector,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
		     strlen(q->selector))) {
		fprintf(stderr, "yubin: %s: not a selector (letters, digits, '-')\n", q->selector);
		return EX_DATAERR;
	}
	if (q->selector[0] == '\0') {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(q->selector, sizeof(q->selector), "y%Y%m%d", &tm);
	}
	return EX_OK;
}

/* Everything that can refuse is checked before anything is written. */
static int
qs_preflight(const struct quickstart *q, const struct settings *s)
{
	char *dkim_dir = xasprintf("%s/dkim/%s", s->data_directory, q->domain);
	char *db = xasprintf("%s/yubin.db", s->data_directory);
	int ret = EX_OK;

	if (file_exists(q->config)) {
		fprintf(stderr,
			"yubin: %s exists already: quickstart does not overwrite a "
			"config\n",
			q->config);
		ret = EX_CANTCREAT;
	} else if (file_exists(db) || file_exists(dkim_dir)) {
		fprintf(stderr,
			"yubin: %s holds a server's data already (accounts or DKIM keys "
			"of %s): use `yubin user add` and `yubin dkim keygen`\n",
			s->data_directory, q->domain);
		ret = EX_CANTCREAT;
	}
	free(db);
	free(dkim_dir);
	return ret;
}

static void
qs_print_summary(const struct quickstart *q)
{
	printf("; yubin quickstart for %s\n", q->domain);
	printf(";   config:         %s\n", q->config);
	printf(";   account:        %s\n", q->address);
	printf(";   password:       %s\n", q->password);
	printf(";   (the password is shown this once; change it with `yubin user passwd`)\n");
	if (str_casecmp(q->local, "postmaster") != 0)
		printf(";   postmaster@%s is an alias of %s\n", q->domain, q->address);
	printf(";\n; Publish the records below in the DNS. Then:\n");
	printf(";   yubin -c %s check      (the config)\n", q->config);
	printf(";   yubin -c %s serve      (or start the service)\n", q->config);
	printf(";   yubin -c %s dnscheck   (once the records are published)\n", q->config);
}

static int
qs_run(struct quickstart *q)
{
	struct settings s;
	const char *error;
	char *text = qs_config_text(q);
	bool wrote = false;
	int ret;

	/* the text must be a config `yubin check` accepts before it is written */
	if (settings_load_string(&s, q->config, text, &error) < 0) {
		fprintf(stderr, "yubin: internal error: the config made is invalid: %s\n", error);
		free(text);
		return EX_SOFTWARE;
	}
	ret = qs_preflight(q, &s);
	if (ret == EX_OK && file_mkdir_p(s.data_directory, 0750) < 0) {
		fprintf(stderr, "yubin: mkdir(%s) failed: %s\n", s.data_directory, strerror(errno));
		ret = EX_CANTCREAT;
	}
	if (ret == EX_OK && qs_write_config(q->config, text) < 0)
		ret = EX_CANTCREAT;
	wrote = ret == EX_OK;
	free(text);
	/* from here on files are made as run_as_user (when root), like `yubin user add` */
	if (ret == EX_OK && privs_drop(&s, &error) < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		ret = EX_NOPERM;
	}
	if (ret == EX_OK) {
		qs_password(q->password);
		if (qs_account(&s, q) < 0)
			ret = EX_CANTCREAT;
	}
	if (ret == EX_OK) {
		qs_print_summary(q);
		qs_address_records(q);
		qs_mail_records(q);
		printf("\n; ---- DKIM (RFC 6376, RFC 8463): signing keys for %s ----\n", q->domain);
		fflush(stdout);
		ret = cmd_dkim_keygen(&s, q->domain, q->selector);
	}
	if (ret == EX_OK) {
		qs_policy_records(q);
		qs_client_records(q, &s);
	}
	if (ret != EX_OK && wrote)
		fprintf(stderr,
			"yubin: quickstart did not finish; %s was written: remove it "
			"and %s to start again\n",
			q->config, s.data_directory);
	explicit_bzero(q->password, sizeof(q->password));
	settings_free(&s);
	return fflush(stdout) == 0 || ret != EX_OK ? ret : EX_IOERR;
}

int
cmd_quickstart(const char *config, int argc, char **argv)
{
	struct quickstart q;
	int ret;

	memset(&q, 0, sizeof(q));
	q.config = config;
	q.data_dir = "/var/lib/yubin";
	ret = qs_parse(&q, argc, argv);
	if (ret == EX_OK)
		ret = qs_run(&q);
	free(q.local);
	free(q.domain);
	free(q.hostname);
	return ret;
}
