/* SPF client address helpers. See spf_ip.h. */
#include "mailauth/spf_ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool
spf_ip_parse(const char *text, struct spf_ip *ip)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, text, ip->addr) == 1)
		return true;
	if (inet_pton(AF_INET6, text, ip->addr) != 1)
		return false;
	ip->v6 = true;
	ip->upper = strpbrk(text, "ABCDEF") != NULL;
	if (memcmp(ip->addr, mapped, sizeof(mapped)) == 0) {
		memmove(ip->addr, ip->addr + 12, 4);
		memset(ip->addr + 4, 0, 12);
		ip->v6 = false;
	}
	return true;
}

void
spf_ip_macro_i(const struct spf_ip *ip, char out[72])
{
	const char *hex = ip->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i, o = 0;

	if (!ip->v6) {
		snprintf(out, 72, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
			 ip->addr[3]);
		return;
	}
	for (i = 0; i < 16; i++) {
		out[o++] = hex[ip->addr[i] >> 4];
		out[o++] = '.';
		out[o++] = hex[ip->addr[i] & 15];
		out[o++] = i < 15 ? '.' : '\0';
	}
}

void
spf_ip_macro_c(const struct spf_ip *ip, char out[48])
{
	inet_ntop(ip->v6 ? AF_INET6 : AF_INET, ip->addr, out, 48);
}

void
spf_ip_reverse_name(const struct spf_ip *ip, char out[80])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (!ip->v6) {
		snprintf(out, 80, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3], ip->addr[2], ip->addr[1],
			 ip->addr[0]);
		return;
	}
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[ip->addr[i] & 15];
		out[o++] = '.';
		out[o++] = hex[ip->addr[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", 9);
}

bool
spf_ip_match(const struct spf_ip *ip, const unsigned char *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (prefix > (ip->v6 ? 128u : 32u))
		return false;
	if (memcmp(ip->addr, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((ip->addr[full] ^ net[full]) & (0xff00 >> rest)) == 0;
}

bool
spf_ip_match_text(const struct spf_ip *ip, const char *text, unsigned prefix)
{
	unsigned char net[16];

	if (inet_pton(ip->v6 ? AF_INET6 : AF_INET, text, net) != 1)
		return false;
	return spf_ip_match(ip, net, prefix);
}
