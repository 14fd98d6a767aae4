/* DNS response parser. See dns_answer.h. Names in records are expanded with c-ares's
 * ares_expand_name (compression pointers, RFC 1035 4.1.4). */
#include "dns/dns_answer.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

static uint16_t
dns_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dns_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Moves *off past the (possibly compressed) name there. */
static int
dns_skip_name(const unsigned char *msg, size_t len, size_t *off)
{
	size_t o = *off;

	while (o < len) {
		unsigned c = msg[o];
		if (c == 0) {
			*off = o + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			*off = o + 2;
			return 0;
		}
		if ((c & 0xc0) != 0)
			return -1;
		o += 1 + c;
	}
	return -1;
}

static int
dns_name_at(const unsigned char *msg, size_t len, const unsigned char *at, struct buf *out)
{
	char *name = NULL;
	long enclen;

	if (ares_expand_name(at, msg, (int)len, &name, &enclen) != ARES_SUCCESS)
		return -1;
	buf_appends(out, name);
	ares_free_string(name);
	return 0;
}

/* One record's rdata in text form. */
static int
dns_rdata_text(const unsigned char *msg, size_t len, unsigned type, const unsigned char *rd,
	       size_t rdlen, struct buf *out)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
		if (rdlen != (type == ns_t_a ? 4u : 16u))
			return -1;
		inet_ntop(type == ns_t_a ? AF_INET : AF_INET6, rd, addr, sizeof(addr));
		buf_appends(out, addr);
		return 0;
	case ns_t_txt:
		/* RFC 7208 3.3: the character-strings are joined with nothing between */
		for (i = 0; i < rdlen; i += 1 + rd[i]) {
			if (i + 1 + rd[i] > rdlen)
				return -1;
			buf_append(out, rd + i + 1, rd[i]);
		}
		return 0;
	case ns_t_mx:
		if (rdlen < 3)
			return -1;
		buf_printf(out, "%u ", dns_u16(rd));
		return dns_name_at(msg, len, rd + 2, out);
	case ns_t_srv:
		/* RFC 2782: priority, weight, port, target */
		if (rdlen < 7)
			return -1;
		buf_printf(out, "%u %u %u ", dns_u16(rd), dns_u16(rd + 2), dns_u16(rd + 4));
		return dns_name_at(msg, len, rd + 6, out);
	case ns_t_ptr:
	case ns_t_cname:
		return dns_name_at(msg, len, rd, out);
	default:
		return -1;
	}
}

void
dns_rrs_free(struct dns_rr **rrsp, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*rrsp)[i].data);
	free(*rrsp);
	*rrsp = NULL;
	*n = 0;
}

int
dns_answer_parse(const unsigned char *msg, size_t len, unsigned qtype, struct dns_rr **rrs_r,
		 size_t *n_r, uint32_t *ttl_r)
{
	struct dns_rr *rrs = NULL;
	size_t n = 0, cap = 0, off = 12, i, qd, an, ns;
	uint32_t ttl = UINT32_MAX, neg = 0;

	*rrs_r = NULL;
	*n_r = 0;
	*ttl_r = 0;
	if (len < 12)
		return -1;
	qd = dns_u16(msg + 4);
	an = dns_u16(msg + 6);
	ns = dns_u16(msg + 8);
	for (i = 0; i < qd; i++) {
		if (dns_skip_name(msg, len, &off) < 0 || off + 4 > len)
			goto bad;
		off += 4;
	}
	for (i = 0; i < an + ns; i++) {
		unsigned type;
		uint32_t rttl;
		size_t rdlen;

		if (dns_skip_name(msg, len, &off) < 0 || off + 10 > len)
			goto bad;
		type = dns_u16(msg + off);
		rttl = dns_u32(msg + off + 4);
		if (rttl > INT32_MAX) /* RFC 2181 8: a TTL with the top bit set is 0 */
			rttl = 0;
		rdlen = dns_u16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			goto bad;
		if (i < an) {
			if (rttl < ttl)
				ttl = rttl;
			if (type == qtype) {
				struct buf text = BUF_INIT;
				if (dns_rdata_text(msg, len, type, msg + off, rdlen, &text) < 0) {
					buf_free(&text);
					goto bad;
				}
				rrs = xgrow(rrs, &cap, n + 1, sizeof(*rrs));
				rrs[n].len = text.len;
				buf_appendc(&text, '\0');
				rrs[n].data = buf_steal(&text);
				n++;
			}
		} else if (type == ns_t_soa) {
			/* RFC 2308 5: negative answers live min(SOA TTL, SOA MINIMUM) */
			size_t r = off;
			if (dns_skip_name(msg, off + rdlen, &r) < 0 ||
			    dns_skip_name(msg, off + rdlen, &r) < 0 || r + 20 > off + rdlen)
				goto bad;
			neg = dns_u32(msg + r + 16);
			if (rttl < neg)
				neg = rttl;
		}
		off += rdlen;
	}
	*rrs_r = rrs;
	*n_r = n;
	*ttl_r = n > 0 ? ttl : neg;
	return 0;
bad:
	dns_rrs_free(&rrs, &n);
	return -1;
}
