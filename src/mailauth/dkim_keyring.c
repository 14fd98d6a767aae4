/* The DKIM signing keys and which of them sign (see dkim_keyring.h). */
#include "mailauth/dkim_keyring.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dns/dns.h"
#include "log/log.h"
#include "mailauth/tag_list.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

enum key_state {
	KEY_UNCHECKED, /* no DNS answer yet (or only failures) */
	KEY_PUBLISHED, /* a TXT record with this key's p= */
	KEY_MISSING,   /* NXDOMAIN or no TXT record */
	KEY_DIFFERENT, /* records, none with this key */
};

static const char *const state_names[] = {"unchecked", "published", "missing", "different"};

struct ring_key {
	struct dkim_sign_key key;
	char *p;              /* the public key as published (p=), to compare with DNS */
	struct timespec made; /* file mtime: "newest" */
	enum key_state state;
	struct dns_query *query;
	struct ring_domain *domain;
};

struct ring_domain {
	char *name;
	struct ring_key **keys;
	size_t n_keys, cap;
	struct dkim_sign_key signing[2]; /* shallow copies of the chosen keys */
	size_t n_signing;
	const struct ring_key *chosen[2]; /* per algorithm, for logging changes */
	enum key_state chosen_state[2];
};

struct dkim_keyring {
	struct dns *dns;
	unsigned interval;
	struct event *timer;
	struct strmap *domains; /* name -> struct ring_domain */
	struct ring_domain **list;
	size_t n_domains, cap;
	size_t n_keys;
};

/* ---- choosing ---- */

static bool
newer(const struct ring_key *a, const struct ring_key *b)
{
	if (a->made.tv_sec != b->made.tv_sec)
		return a->made.tv_sec > b->made.tv_sec;
	if (a->made.tv_nsec != b->made.tv_nsec)
		return a->made.tv_nsec > b->made.tv_nsec;
	return strcmp(a->key.selector, b->key.selector) > 0;
}

/* The key of algorithm alg that signs for d (the rules of dkim_keyring.h); *why for the log. */
static const struct ring_key *
choose(const struct ring_domain *d, enum dkim_alg alg, const char **why)
{
	const struct ring_key *published = NULL, *newest = NULL, *oldest = NULL;
	bool unchecked = false;

	for (size_t i = 0; i < d->n_keys; i++) {
		const struct ring_key *k = d->keys[i];
		if (k->key.alg != alg)
			continue;
		if (k->state == KEY_PUBLISHED && (published == NULL || newer(k, published)))
			published = k;
		if (newest == NULL || newer(k, newest))
			newest = k;
		if (oldest == NULL || newer(oldest, k))
			oldest = k;
		unchecked = unchecked || k->state == KEY_UNCHECKED;
	}
	if (published != NULL) {
		*why = "published";
		return published;
	}
	if (unchecked) {
		*why = "DNS not checked yet: the oldest key";
		return oldest;
	}
	*why = "no key of this algorithm is published in DNS: the newest";
	return newest;
}

static void
domain_choose(struct ring_domain *d)
{
	static const enum dkim_alg algs[2] = {DKIM_ALG_ED25519_SHA256, DKIM_ALG_RSA_SHA256};

	d->n_signing = 0;
	for (size_t a = 0; a < 2; a++) {
		const char *why = NULL;
		const struct ring_key *k = choose(d, algs[a], &why);

		if (k != NULL)
			d->signing[d->n_signing++] = k->key;
		if (k == d->chosen[a] && (k == NULL || k->state == d->chosen_state[a]))
			continue;
		d->chosen[a] = k;
		if (k == NULL)
			continue;
		d->chosen_state[a] = k->state;
		if (k->state == KEY_PUBLISHED || k->state == KEY_UNCHECKED)
			log_info("dkim: %s: %s signatures with selector %s (%s)", d->name,
				 algs[a] == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa",
				 k->key.selector, why);
		else
			log_warn("dkim: %s: %s signatures with selector %s (%s; its record is %s: "
				 "see `yubin dkim list`)",
				 d->name, algs[a] == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa",
				 k->key.selector, why, state_names[k->state]);
	}
}

/* ---- DNS ---- */

/* The p= value of a key record, FWS removed (RFC 6376 3.6.1); NULL if none. */
static char *
record_p(const char *rec, size_t len)
{
	struct tag_list tl;
	const struct tag *t;
	const char *error;
	struct buf b = BUF_INIT;

	if (tag_list_parse(&tl, rec, len, &error) < 0 || (t = tag_list_get(&tl, "p")) == NULL)
		return NULL;
	for (size_t i = 0; i < t->value_len; i++)
		if (t->value[i] != ' ' && t->value[i] != '\t' && t->value[i] != '\r' &&
		    t->value[i] != '\n')
			buf_appendc(&b, t->value[i]);
	buf_appendc(&b, '\0');
	return buf_steal(&b);
}

static void
on_txt(void *ctx, enum dns_status status, const struct dns_rr *rrs, size_t n, const char *error)
{
	struct ring_key *k = ctx;
	enum key_state old = k->state;

	k->query = NULL;
	if (status == DNS_NXDOMAIN || status == DNS_NODATA) {
		k->state = KEY_MISSING;
	} else if (status == DNS_OK) {
		k->state = KEY_DIFFERENT;
		for (size_t i = 0; i < n && k->state != KEY_PUBLISHED; i++) {
			char *p = record_p(rrs[i].data, rrs[i].len);
			if (p != NULL && strcmp(p, k->p) == 0)
				k->state = KEY_PUBLISHED;
			free(p);
		}
	} else {
		/* a failure says nothing about the record: keep what we knew */
		log_warn("dkim: %s._domainkey.%s: DNS check failed: %s (keeping: %s)",
			 k->key.selector, k->key.domain,
			 error != NULL ? error : "temporary failure", state_names[k->state]);
	}
	if (k->state != old)
		log_info("dkim: %s._domainkey.%s: record %s", k->key.selector, k->key.domain,
			 state_names[k->state]);
	domain_choose(k->domain);
}

static void
key_check(struct dkim_keyring *kr, struct ring_key *k)
{
	char *name;

	if (kr->dns == NULL || k->query != NULL)
		return;
	name = xasprintf("%s._domainkey.%s", k->key.selector, k->key.domain);
	/* a cached answer runs on_txt inside the call and the call returns NULL */
	k->query = dns_lookup_txt(kr->dns, name, on_txt, k);
	free(name);
}

void
dkim_keyring_check(struct dkim_keyring *kr)
{
	for (size_t i = 0; i < kr->n_domains; i++)
		for (size_t j = 0; j < kr->list[i]->n_keys; j++)
			key_check(kr, kr->list[i]->keys[j]);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dkim_keyring_check(arg);
}

/* ---- loading ---- */

static void
key_free(struct ring_key *k)
{
	if (k->query != NULL)
		dns_cancel(k->query);
	dkim_sign_key_clear(&k->key);
	free(k->p);
	free(k);
}

static void
domains_free(struct ring_domain **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < list[i]->n_keys; j++)
			key_free(list[i]->keys[j]);
		free(list[i]->keys);
		free(list[i]->name);
		free(list[i]);
	}
	free(list);
}

/* The key of the previous set with the same domain, selector and public key, if any. */
static const struct ring_key *
old_key(const struct strmap *old, const struct ring_key *k)
{
	const struct ring_domain *d = old != NULL ? strmap_get(old, k->key.domain) : NULL;

	for (size_t i = 0; d != NULL && i < d->n_keys; i++)
		if (strcmp(d->keys[i]->key.selector, k->key.selector) == 0 &&
		    strcmp(d->keys[i]->p, k->p) == 0)
			return d->keys[i];
	return NULL;
}

static bool
name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

/* The domain entry for a lower-cased name, made on first use. */
static struct ring_domain *
domain_get(struct dkim_keyring *kr, const char *lower)
{
	struct ring_domain *d = strmap_get(kr->domains, lower);

	if (d == NULL) {
		d = xcalloc(1, sizeof(*d));
		d->name = xstrdup(lower);
		strmap_set(kr->domains, d->name, d);
		kr->list = xgrow(kr->list, &kr->cap, kr->n_domains + 1, sizeof(*kr->list));
		kr->list[kr->n_domains++] = d;
	}
	return d;
}

/* Loads the keys of dir/name/ (Example.com/ and example.com/ are the same domain). */
static void
load_domain(struct dkim_keyring *kr, const struct strmap *old, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *lower = xstrdup(name);
	DIR *dh = opendir(path);
	struct dirent *e;

	str_lower(lower);
	while (dh != NULL && (e = readdir(dh)) != NULL) {
		size_t len = strlen(e->d_name);
		struct ring_key *k;
		const struct ring_key *prev;
		const char *error = NULL;
		struct buf rec = BUF_INIT;
		struct stat st;
		char *file, *sel;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".pem") != 0 || !name_ok(e->d_name))
			continue;
		file = xasprintf("%s/%s", path, e->d_name);
		sel = xstrndup(e->d_name, len - 4);
		k = xcalloc(1, sizeof(*k));
		if (stat(file, &st) < 0)
			error = strerror(errno);
		if (error != NULL || dkim_sign_key_load(&k->key, file, lower, sel, &error) < 0) {
			log_error("dkim: %s: cannot load the key: %s", file, error);
			free(k);
		} else {
			struct ring_domain *d = domain_get(kr, lower);
			k->made = st.st_mtim;
			k->domain = d;
			dkim_sign_key_record(&k->key, &rec);
			k->p = record_p(rec.data, rec.len);
			buf_free(&rec);
			if (k->p == NULL)
				k->p = xstrdup("");
			if ((prev = old_key(old, k)) != NULL)
				k->state = prev->state;
			d->keys = xgrow(d->keys, &d->cap, d->n_keys + 1, sizeof(*d->keys));
			d->keys[d->n_keys++] = k;
			kr->n_keys++;
		}
		free(sel);
		free(file);
	}
	if (dh != NULL)
		closedir(dh);
	free(lower);
	free(path);
}

/* Chooses the signing keys of d; the same choice as before the reload is not logged again. */
static void
domain_choose_after_load(struct ring_domain *d, const struct strmap *old)
{
	const struct ring_domain *od = old != NULL ? strmap_get(old, d->name) : NULL;

	for (size_t a = 0; od != NULL && a < 2; a++) {
		if (od->chosen[a] == NULL)
			continue;
		for (size_t i = 0; i < d->n_keys; i++)
			if (strcmp(d->keys[i]->key.selector, od->chosen[a]->key.selector) == 0) {
				d->chosen[a] = d->keys[i];
				d->chosen_state[a] = od->chosen_state[a];
			}
	}
	domain_choose(d);
}

size_t
dkim_keyring_load(struct dkim_keyring *kr, const char *dir)
{
	struct strmap *old = kr->domains;
	struct ring_domain **old_list = kr->list;
	size_t old_n = kr->n_domains;
	DIR *dh = opendir(dir);
	struct dirent *e;

	kr->domains = strmap_new();
	kr->list = NULL;
	kr->n_domains = kr->cap = kr->n_keys = 0;
	if (dh == NULL && errno != ENOENT)
		log_error("dkim: %s: %s", dir, strerror(errno));
	while (dh != NULL && (e = readdir(dh)) != NULL)
		if (name_ok(e->d_name) && strlen(e->d_name) < 256)
			load_domain(kr, old, dir, e->d_name);
	if (dh != NULL)
		closedir(dh);
	for (size_t i = 0; i < kr->n_domains; i++)
		domain_choose_after_load(kr->list[i], old);
	strmap_free(&old);
	domains_free(old_list, old_n);
	log_info("dkim: %zu signing key%s for %zu domain%s in %s", kr->n_keys,
		 kr->n_keys == 1 ? "" : "s", kr->n_domains, kr->n_domains == 1 ? "" : "s", dir);
	dkim_keyring_check(kr);
	return kr->n_keys;
}

struct dkim_keyring *
dkim_keyring_new(struct dns *dns, unsigned interval)
{
	struct dkim_keyring *kr = xcalloc(1, sizeof(*kr));

	kr->dns = dns;
	kr->interval = interval;
	kr->domains = strmap_new();
	if (dns != NULL && interval > 0) {
		struct timeval tv = {(time_t)interval, 0};
		kr->timer = event_new(dns_event_base(dns), -1, EV_PERSIST, on_timer, kr);
		event_add(kr->timer, &tv);
	}
	return kr;
}

void
dkim_keyring_free(struct dkim_keyring **krp)
{
	struct dkim_keyring *kr = *krp;

	if (kr == NULL)
		return;
	*krp = NULL;
	if (kr->timer != NULL)
		event_free(kr->timer);
	strmap_free(&kr->domains);
	domains_free(kr->list, kr->n_domains);
	free(kr);
}

const struct dkim_sign_key *
dkim_keyring_keys(const struct dkim_keyring *kr, const char *domain, size_t *n_r)
{
	const struct ring_domain *d = NULL;
	char lower[256];

	*n_r = 0;
	if (kr == NULL || strlen(domain) >= sizeof(lower))
		return NULL;
	str_lcpy(lower, domain, sizeof(lower));
	str_lower(lower);
	d = strmap_get(kr->domains, lower);
	if (d == NULL || d->n_signing == 0)
		return NULL;
	*n_r = d->n_signing;
	return d->signing;
}

size_t
dkim_keyring_keys_copy(const struct dkim_keyring *kr, const char *domain,
		       struct dkim_sign_key out[2])
{
	size_t n;
	const struct dkim_sign_key *keys = dkim_keyring_keys(kr, domain, &n);

	for (size_t i = 0; i < n; i++) {
		EVP_PKEY_up_ref(keys[i].pkey);
		out[i].pkey = keys[i].pkey;
		out[i].alg = keys[i].alg;
		out[i].domain = xstrdup(keys[i].domain);
		out[i].selector = xstrdup(keys[i].selector);
	}
	return n;
}

size_t
dkim_keyring_count(const struct dkim_keyring *kr)
{
	return kr != NULL ? kr->n_keys : 0;
}
