/* Signing a whole message with the keyring's keys (see dkim_keyring.h): the From: domain,
 * the signature fields, the domain of the server's own mail. */
#include <string.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_keyring.h"
#include "util/str.h"

bool
dkim_from_domain(const char *msg, size_t len, char *out, size_t size)
{
	size_t hdr_len = rfc5322_header_size(msg, len);
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	const char *domain = NULL;
	struct rfc5322_addr_list list;
	unsigned n_from = 0;
	bool ok = false;

	rfc5322_header_iter_init(&it, msg, hdr_len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len != 4 || str_ncasecmp(f.name, "From", 4) != 0)
			continue;
		/* RFC 5322 3.6: one From field; with two, which one a reader shows is anyone's
		 * guess, and RFC 7489 6.6.1 does not apply DMARC: we do not vouch for it */
		if (++n_from > 1)
			return false;
		rfc5322_addr_list_parse(f.value, f.value_len, &list);
		for (size_t i = 0; i < list.count && domain == NULL; i++)
			if (list.addrs[i].mailbox != NULL && list.addrs[i].domain != NULL &&
			    !list.addrs[i].group_start)
				domain = list.addrs[i].domain;
		if (domain != NULL && domain[0] != '\0' && strlen(domain) < size) {
			str_lcpy(out, domain, size);
			str_lower(out);
			ok = true;
		}
		domain = NULL;
		rfc5322_addr_list_free(&list);
	}
	return ok && n_from == 1;
}

int
dkim_sign_message(const struct dkim_sign_key *keys, size_t n, const char *msg, size_t len,
		  time_t now, struct buf *out, const char **error_r)
{
	size_t hdr_len = rfc5322_header_size(msg, len);
	struct dkim_sign *s = dkim_sign_new(now);
	int ret;

	dkim_sign_body(s, msg + hdr_len, len - hdr_len);
	ret = dkim_sign_finish(s, keys, n, msg, hdr_len, out, error_r);
	dkim_sign_free(&s);
	return ret < 0 ? -1 : 0;
}

int
dkim_keyring_sign(const struct dkim_keyring *kr, const char *domain, const char *msg, size_t len,
		  time_t now, struct buf *out, const char **error_r)
{
	size_t n_keys;
	const struct dkim_sign_key *keys = dkim_keyring_keys(kr, domain, &n_keys);

	if (n_keys == 0)
		return 0;
	return dkim_sign_message(keys, n_keys, msg, len, now, out, error_r) < 0 ? -1 : 1;
}

bool
dkim_keyring_is_ours(const struct dkim_keyring *kr, char *const *mydomains, const char *msg,
		     size_t len, char domain[256])
{
	domain[0] = '\0';
	if (dkim_keyring_count(kr) == 0 || !dkim_from_domain(msg, len, domain, 256))
		return false;
	for (size_t i = 0; mydomains != NULL && mydomains[i] != NULL; i++)
		if (strcmp(mydomains[i], domain) == 0)
			return dkim_keyring_keys(kr, domain, &(size_t){0}) != NULL;
	return false;
}

int
dkim_keyring_sign_ours(const struct dkim_keyring *kr, char *const *mydomains, const char *msg,
		       size_t len, time_t now, struct buf *out, char domain[256],
		       const char **error_r)
{
	if (!dkim_keyring_is_ours(kr, mydomains, msg, len, domain))
		return 0;
	return dkim_keyring_sign(kr, domain, msg, len, now, out, error_r);
}

const char *
dkim_keyring_own_domain(const struct dkim_keyring *kr, const char *myhostname,
			char *const *mydomains)
{
	const char *d = myhostname;
	size_t n;

	/* myhostname, then its parents while they still have a dot (never a bare TLD) */
	while (d != NULL && strchr(d, '.') != NULL) {
		if (dkim_keyring_keys(kr, d, &n) != NULL)
			return d;
		d = strchr(d, '.') + 1;
	}
	for (size_t i = 0; mydomains != NULL && mydomains[i] != NULL; i++)
		if (dkim_keyring_keys(kr, mydomains[i], &n) != NULL)
			return mydomains[i];
	return NULL;
}
