/* Address syntax for accounts and aliases: splitting "local@domain", validating the local
 * part (it becomes a directory name in the store) and normalizing the domain. */
#include "auth/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "util/str.h"
#include "util/xmalloc.h"

static bool
valid_local(const char *local, size_t len)
{
	/* RFC 5321 4.5.3.1.1: at most 64 octets. */
	if (len == 0 || len > 64 || local[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)local[i];
		if (c <= 0x20 || c == 0x7f || strchr("\"/\\,@", c) != NULL)
			return false;
	}
	return true;
}

int
accounts_addr_split(const char *address, char **local_r, char **domain_r)
{
	const char *at = strrchr(address, '@');
	char *domain;

	if (at == NULL || !valid_local(address, (size_t)(at - address)))
		return -1;
	domain = xstrdup(at + 1);
	if (!settings_valid_hostname(domain)) {
		free(domain);
		return -1;
	}
	str_lower(domain);
	if (local_r != NULL)
		*local_r = xstrndup(address, (size_t)(at - address));
	if (domain_r != NULL)
		*domain_r = domain;
	else
		free(domain);
	return 0;
}

char *
accounts_addr_normalize(const char *address)
{
	char *local, *domain, *ret;

	if (accounts_addr_split(address, &local, &domain) < 0)
		return NULL;
	ret = xasprintf("%s@%s", local, domain);
	free(local);
	free(domain);
	return ret;
}

char *
accounts_addr_name(const char *address)
{
	char *ret = accounts_addr_normalize(address);

	if (ret != NULL)
		str_lower(ret);
	return ret;
}
