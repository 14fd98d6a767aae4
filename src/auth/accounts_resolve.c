/* Recipient resolution: +tag stripping (recipient_delimiter), alias expansion (recursive,
 * loop- and depth-guarded, de-duplicated) down to local account names and remote
 * addresses; and the sender ownership check used against spoofing. */
#include "auth/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "auth/accounts_private.h"
#include "conf/settings.h"
#include "log/log.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct resolve {
	struct accounts *a;
	char **local, **remote, **seen;
	size_t n_local, n_remote, n_seen;
	size_t cap_local, cap_remote, cap_seen;
	size_t budget; /* addresses left to visit (ACCOUNTS_RESOLVE_MAX in all) */
};

static bool
array_has(char *const *arr, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i], s) == 0)
			return true;
	return false;
}

static void
array_add(char ***arr, size_t *n, size_t *cap, const char *s)
{
	if (array_has(*arr, *n, s))
		return;
	*arr = xgrow(*arr, cap, *n + 2, sizeof(char *));
	(*arr)[(*n)++] = xstrdup(s);
	(*arr)[*n] = NULL;
}

static char **
array_finish(char **arr)
{
	return arr != NULL ? arr : xcalloc(1, sizeof(char *));
}

/* "local@domain" with the domain lower-cased; the local part is kept as is, without the
 * syntax checks of stored addresses (a recipient may be anything the SMTP parser took). */
static char *
normalize_rcpt(const char *address)
{
	const char *at = strrchr(address, '@');
	char *ret;

	if (at == NULL || at == address || at[1] == '\0')
		return NULL;
	ret = xstrdup(address);
	str_lower(ret + (at - address) + 1);
	return ret;
}

/* RFC 5321 4.5.1: "postmaster" is case-insensitive. */
static char *
postmaster_form(const char *addr)
{
	const char *at = strrchr(addr, '@');

	if ((size_t)(at - addr) != 10 || str_ncasecmp(addr, "postmaster", 10) != 0)
		return NULL;
	return xasprintf("postmaster%s", at);
}

/* The address without "+tag", or NULL if it has none (RFC 5233 subaddress). */
static char *
strip_tag(const struct resolve *r, const char *addr)
{
	char delim = r->a->set->recipient_delimiter;
	const char *at = strrchr(addr, '@'), *d;

	if (delim == '\0')
		return NULL;
	d = memchr(addr, delim, (size_t)(at - addr));
	if (d == NULL || d == addr)
		return NULL;
	return xasprintf("%.*s%s", (int)(d - addr), addr, at);
}

static int resolve_addr(struct resolve *r, const char *address, int depth);

static int
expand_alias(struct resolve *r, const char *alias, char *const *targets, int depth)
{
	int ret = 1;

	array_add(&r->seen, &r->n_seen, &r->cap_seen, alias);
	if (depth >= ACCOUNTS_ALIAS_MAX_DEPTH) {
		log_warn("accounts: alias %s: expansion deeper than %d, cut", alias, depth);
		return 1;
	}
	for (size_t i = 0; targets[i] != NULL && ret >= 0; i++) {
		if (r->budget == 0) {
			log_warn("accounts: alias %s: more than %d addresses, cut", alias,
				 ACCOUNTS_RESOLVE_MAX);
			break;
		}
		r->budget--;
		ret = resolve_addr(r, targets[i], depth + 1);
		if (ret == 0)
			log_warn("accounts: alias %s: target %s does not exist", alias, targets[i]);
	}
	return ret < 0 ? -1 : 1;
}

/* Resolves one candidate form (exact, postmaster, or tag-stripped) of a local address:
 * 1 found (and added), 0 no account or alias by this name. */
static int
resolve_candidate(struct resolve *r, const char *cand, int depth)
{
	char *const *targets;
	char *name;

	if (!array_has(r->seen, r->n_seen, cand) &&
	    (targets = accounts_cache_alias(r->a, cand)) != NULL)
		return expand_alias(r, cand, targets, depth);
	/* An alias listing itself (or a loop back to an account) delivers to the account. */
	if (accounts_cache_user(r->a, cand)) {
		name = xstrdup(cand);
		str_lower(name);
		array_add(&r->local, &r->n_local, &r->cap_local, name);
		free(name);
		return 1;
	}
	return array_has(r->seen, r->n_seen, cand) ? 1 : 0;
}

static int
resolve_local(struct resolve *r, const char *addr, int depth)
{
	char *cands[3] = {xstrdup(addr), postmaster_form(addr), strip_tag(r, addr)};
	char *const *targets;
	int ret = 0;

	for (size_t i = 0; i < 3 && ret == 0; i++)
		if (cands[i] != NULL)
			ret = resolve_candidate(r, cands[i], depth);
	if (ret == 0) {
		/* Catch-all "@domain", used only when nothing else matched. */
		char *catchall = xstrdup(strrchr(addr, '@'));
		if (!array_has(r->seen, r->n_seen, catchall) &&
		    (targets = accounts_cache_alias(r->a, catchall)) != NULL)
			ret = expand_alias(r, catchall, targets, depth);
		free(catchall);
	}
	for (size_t i = 0; i < 3; i++)
		free(cands[i]);
	return ret;
}

static int
resolve_addr(struct resolve *r, const char *address, int depth)
{
	char *addr = normalize_rcpt(address);
	int ret;

	if (addr == NULL)
		return depth == 0 ? -1 : 0;
	if (!accounts_is_local_domain(r->a, strrchr(addr, '@') + 1)) {
		array_add(&r->remote, &r->n_remote, &r->cap_remote, addr);
		ret = 1;
	} else {
		ret = resolve_local(r, addr, depth);
	}
	free(addr);
	return ret;
}

static void
resolve_free(struct resolve *r)
{
	str_array_free(&r->local);
	str_array_free(&r->remote);
	str_array_free(&r->seen);
}

int
accounts_resolve(struct accounts *a, const char *address, char ***local_r, char ***remote_r)
{
	struct resolve r = {.a = a, .budget = ACCOUNTS_RESOLVE_MAX};
	int ret;

	*local_r = *remote_r = NULL;
	pthread_mutex_lock(&a->lock);
	ret = accounts_cache_refresh(a) < 0 ? -1 : resolve_addr(&r, address, 0);
	pthread_mutex_unlock(&a->lock);
	if (ret == 1 && r.n_local + r.n_remote == 0)
		ret = 0; /* e.g. an alias whose targets all vanished */
	if (ret == 1) {
		*local_r = array_finish(r.local);
		*remote_r = array_finish(r.remote);
		r.local = r.remote = NULL;
	}
	resolve_free(&r);
	return ret;
}

bool
accounts_owns_address(struct accounts *a, const char *account, const char *address)
{
	char *name = accounts_addr_name(account);
	char **local, **remote;
	bool owns = false;

	if (name == NULL)
		return false;
	if (accounts_resolve(a, address, &local, &remote) == 1) {
		owns = array_has(local, str_array_len(local), name);
		str_array_free(&local);
		str_array_free(&remote);
	}
	free(name);
	return owns;
}
