/* `yubin dkim keygen|list`: the DKIM signing keys (RFC 6376, RFC 8463) under
 * data_directory/dkim/DOMAIN/SELECTOR.pem, and the TXT records to publish for them. */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/privs.h"
#include "conf/settings.h"
#include "dns/dns.h"
#include "mailauth/dkim_sign.h"
#include "mailauth/dnscheck.h"
#include "mailauth/tag_list.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* RFC 1035 3.3: a <character-string> holds at most 255 octets; a longer TXT record is
 * published as several strings, which verifiers join (RFC 6376 3.6.2.2). */
#define TXT_STRING_MAX 255
#define DKIM_RSA_BITS 2048

static int
usage(void)
{
	fprintf(stderr, "usage: yubin [-c FILE] dkim keygen DOMAIN [--selector S]\n"
			"       yubin [-c FILE] dkim list\n"
			"keygen makes an ed25519 key (selector S-ed) and an rsa-2048 key (S-rsa); "
			"S defaults to yYYYYMMDD.\n");
	return EX_USAGE;
}

/* A DNS label of letters, digits, '-' and (for domains) dots, so that it is also a safe
 * file name: no '/', no leading dot, no "..". */
static bool
name_ok(const char *s, bool dots)
{
	if (*s == '\0' || *s == '.' || *s == '-' || strlen(s) > 253 || strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || (dots && *s == '.')))
			return false;
	}
	return true;
}

static EVP_PKEY *
generate(bool ed25519)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(ed25519 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA, NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    (!ed25519 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, DKIM_RSA_BITS) <= 0) ||
	    EVP_PKEY_keygen(ctx, &pkey) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* PKCS#8 PEM, written atomically with mode 0600 (file_write_atomic). */
static int
write_key(EVP_PKEY *pkey, const char *path)
{
	BIO *bio = BIO_new(BIO_s_mem());
	const char *error = "cannot encode the key";
	char *pem;
	long len;
	int ret = -1;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (len = BIO_get_mem_data(bio, &pem)) > 0)
		ret = file_write_atomic(path, pem, (size_t)len, true, &error);
	if (ret < 0)
		fprintf(stderr, "yubin: %s: %s\n", path, error);
	BIO_free(bio);
	return ret;
}

/* The zone-file line for one key: the record split into quoted strings of at most 255
 * octets (the record holds no '"' or '\\', so nothing needs escaping). */
static void
print_record(const struct dkim_sign_key *key)
{
	struct buf rec;
	size_t off;

	buf_init(&rec);
	dkim_sign_key_record(key, &rec);
	printf("%s._domainkey.%s. IN TXT (", key->selector, key->domain);
	for (off = 0; off < rec.len; off += TXT_STRING_MAX) {
		size_t n = rec.len - off < TXT_STRING_MAX ? rec.len - off : TXT_STRING_MAX;
		printf("%s\"%.*s\"", off == 0 ? " " : "\n\t", (int)n, rec.data + off);
	}
	printf(" )\n");
	buf_free(&rec);
}

int
cmd_dkim_keygen(const struct settings *s, const char *domain_arg, const char *base)
{
	static const struct {
		const char *suffix;
		bool ed25519;
	} kinds[] = {{"-ed", true}, {"-rsa", false}};
	char *domain = xstrdup(domain_arg), *dir, *paths[2] = {NULL, NULL}, *sels[2];
	struct dkim_sign_key keys[2];
	const char *error;
	int ret = EX_OK;
	size_t made = 0;

	str_lower(domain);
	memset(keys, 0, sizeof(keys));
	dir = xasprintf("%s/dkim/%s", s->data_directory, domain);
	for (size_t i = 0; i < 2; i++) {
		sels[i] = xasprintf("%s%s", base, kinds[i].suffix);
		paths[i] = xasprintf("%s/%s.pem", dir, sels[i]);
		if (file_exists(paths[i])) {
			fprintf(stderr, "yubin: selector %s of %s exists already (%s)\n", sels[i],
				domain, paths[i]);
			ret = EX_CANTCREAT;
		}
	}
	if (ret == EX_OK && file_mkdir_p(dir, 0700) < 0) {
		fprintf(stderr, "yubin: mkdir(%s) failed: %s\n", dir, strerror(errno));
		ret = EX_CANTCREAT;
	}
	for (size_t i = 0; ret == EX_OK && i < 2; i++) {
		EVP_PKEY *pkey = generate(kinds[i].ed25519);
		if (pkey == NULL) {
			fprintf(stderr, "yubin: key generation failed\n");
			ret = EX_SOFTWARE;
		} else if (write_key(pkey, paths[i]) < 0) {
			ret = EX_CANTCREAT;
		} else if (dkim_sign_key_load(&keys[i], paths[i], domain, sels[i], &error) < 0) {
			fprintf(stderr, "yubin: %s: %s\n", paths[i], error);
			ret = EX_SOFTWARE;
		} else {
			made++;
		}
		EVP_PKEY_free(pkey);
	}
	if (ret == EX_OK) {
		printf("; DKIM keys for %s in %s; publish these records:\n", domain, dir);
		for (size_t i = 0; i < 2; i++)
			print_record(&keys[i]);
	} else {
		for (size_t i = 0; i < made; i++) /* all or nothing */
			unlink(paths[i]);
	}
	for (size_t i = 0; i < 2; i++) {
		if (i < made)
			dkim_sign_key_clear(&keys[i]);
		free(sels[i]);
		free(paths[i]);
	}
	free(dir);
	free(domain);
	return ret;
}

/* ---- list ---- */

struct listed {
	struct dkim_sign_key key;
	char *p;           /* the key's p= value, to compare with DNS */
	const char *state; /* published / missing / different / dns error */
};

struct listing {
	struct listed *v;
	size_t n, cap;
};

static void
txt_answer(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n, const char *error)
{
	struct listed *l = ctx;

	(void)error;
	if (status == DNS_NXDOMAIN || status == DNS_NODATA) {
		l->state = "missing";
	} else if (status != DNS_OK) {
		l->state = "dns-tempfail";
	} else {
		l->state = "different";
		for (size_t i = 0; i < n; i++) {
			char *p = dnscheck_dkim_record_p(rrs[i].data, rrs[i].len);
			if (p != NULL && strcmp(p, l->p) == 0)
				l->state = "published";
			free(p);
		}
	}
}

static void
collect_domain(struct listing *ls, const char *root, const char *domain)
{
	char *dir = xasprintf("%s/%s", root, domain);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *sel, *path;
		const char *error;
		struct buf rec;
		struct listed *l;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".pem") != 0)
			continue;
		sel = xstrndup(e->d_name, len - 4);
		path = xasprintf("%s/%s", dir, e->d_name);
		ls->v = xgrow(ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v));
		l = &ls->v[ls->n];
		memset(l, 0, sizeof(*l));
		if (dkim_sign_key_load(&l->key, path, domain, sel, &error) < 0) {
			fprintf(stderr, "yubin: %s: %s\n", path, error);
		} else {
			buf_init(&rec);
			dkim_sign_key_record(&l->key, &rec);
			l->p = dnscheck_dkim_record_p(rec.data, rec.len);
			buf_free(&rec);
			l->state = "unchecked";
			ls->n++;
		}
		free(path);
		free(sel);
	}
	if (d != NULL)
		closedir(d);
	free(dir);
}

static int
cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->key.domain, y->key.domain);

	return c != 0 ? c : strcmp(x->key.selector, y->key.selector);
}

static int
list(const struct settings *s)
{
	char *root = xasprintf("%s/dkim", s->data_directory);
	struct listing ls = {0};
	struct event_base *base = NULL;
	struct dns *dns = NULL;
	const char *error = NULL;
	DIR *d = opendir(root);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			collect_domain(&ls, root, e->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (ls.n > 1)
		qsort(ls.v, ls.n, sizeof(*ls.v), cmp_listed);
	/* the records as the world sees them: through dns_resolvers, like the server */
	if (ls.n > 0 && (base = event_base_new()) != NULL)
		dns = dns_new(base, (const char *const *)s->dns_resolvers, &error);
	if (dns != NULL) {
		for (size_t i = 0; i < ls.n; i++) {
			char *name = xasprintf("%s._domainkey.%s", ls.v[i].key.selector,
					       ls.v[i].key.domain);
			dns_lookup_txt(dns, name, txt_answer, &ls.v[i]);
			free(name);
		}
		event_base_dispatch(base);
	} else if (ls.n > 0) {
		fprintf(stderr, "yubin: DNS not checked: %s\n",
			error != NULL ? error : "no event base");
	}
	printf("%-30s %-20s %-8s %s\n", "DOMAIN", "SELECTOR", "ALG", "DNS");
	for (size_t i = 0; i < ls.n; i++) {
		struct listed *l = &ls.v[i];
		printf("%-30s %-20s %-8s %s\n", l->key.domain, l->key.selector,
		       l->key.alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa", l->state);
	}
	dns_free(&dns);
	if (base != NULL)
		event_base_free(base);
	for (size_t i = 0; i < ls.n; i++) {
		dkim_sign_key_clear(&ls.v[i].key);
		free(ls.v[i].p);
	}
	free(ls.v);
	free(root);
	return EX_OK;
}

int
cmd_dkim(struct settings *s, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "", *error;
	char base[32];
	const char *selector = NULL;

	if (strcmp(verb, "keygen") == 0 && argc == 5 && strcmp(argv[3], "--selector") == 0)
		selector = argv[4];
	else if (!(strcmp(verb, "keygen") == 0 && argc == 3) &&
		 !(strcmp(verb, "list") == 0 && argc == 2))
		return usage();
	if (strcmp(verb, "keygen") == 0) {
		if (!name_ok(argv[2], true)) {
			fprintf(stderr, "yubin: %s: not a domain name\n", argv[2]);
			return EX_DATAERR;
		}
		if (selector == NULL) {
			time_t now = time(NULL);
			struct tm tm;
			gmtime_r(&now, &tm);
			strftime(base, sizeof(base), "y%Y%m%d", &tm);
			selector = base;
		}
		/* "-ed"/"-rsa" are appended: the selector stays one label (RFC 6376 3.1) */
		if (!name_ok(selector, false) || strlen(selector) > 59) {
			fprintf(stderr, "yubin: %s: not a selector (letters, digits, '-')\n",
				selector);
			return EX_DATAERR;
		}
	}
	/* files made as root belong to run_as_user, like the rest of data_directory */
	if (privs_drop(s, &error) < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_NOPERM;
	}
	if (strcmp(verb, "keygen") == 0)
		return cmd_dkim_keygen(s, argv[2], selector);
	return list(s);
}
