/* The client address as SPF uses it (RFC 7208 5, 7.3): parsing (IPv4-mapped IPv6 counts as
 * IPv4), the macro forms of %{i} and %{c}, the reverse-lookup name, prefix matching. */
#ifndef MAILAUTH_SPF_IP_H
#define MAILAUTH_SPF_IP_H
#include <stdbool.h>

struct spf_ip {
	bool v6;
	bool upper;             /* the text had uppercase hex digits: so have the nibbles of %{i} */
	unsigned char addr[16]; /* IPv4 in the first 4 octets */
};

/* false when text is not an IPv4 or IPv6 address. ::ffff:a.b.c.d becomes IPv4 (RFC 7208
 * 5: an IPv4-mapped address is still an IPv4 address). */
bool spf_ip_parse(const char *text, struct spf_ip *ip);
/* %{i}: dotted quad, or the 32 nibbles of an IPv6 address separated by dots (7.3), in the
 * case the address was written in (the RFC 7208 test suite expects that). */
void spf_ip_macro_i(const struct spf_ip *ip, char out[72]);
/* %{c}: the ordinary text form (7.3). */
void spf_ip_macro_c(const struct spf_ip *ip, char out[48]);
/* The PTR query name: d.c.b.a.in-addr.arpa or the nibbles in ip6.arpa. */
void spf_ip_reverse_name(const struct spf_ip *ip, char out[80]);
/* Whether text (an address of ip's family) equals ip in its first prefix bits. */
bool spf_ip_match_text(const struct spf_ip *ip, const char *text, unsigned prefix);
/* Whether net equals ip in its first prefix bits (net of ip's family). */
bool spf_ip_match(const struct spf_ip *ip, const unsigned char *net, unsigned prefix);

#endif
