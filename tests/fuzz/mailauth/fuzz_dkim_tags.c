/* libFuzzer target: DKIM tag lists (RFC 6376 3.2), DKIM-Signature fields (3.5) and key
 * records (3.6.1), then a whole verification with the input as the message and as the key
 * record. Hostile input must give an error or a result, never a crash, a leak or a stall;
 * parsed tags must lie inside the input; the body hash must not depend on how the body was
 * cut into chunks (whole, byte by byte, uneven), with or without l=. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_key.h"
#include "mailauth/dkim_sig.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/tag_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tags(const char *in, size_t len)
{
	struct tag_list tl;
	const char *error;
	size_t i;

	if (tag_list_parse(&tl, in, len, &error) < 0)
		return;
	for (i = 0; i < tl.count; i++) {
		const struct tag *t = &tl.tags[i];

		if (t->name < in || t->name + t->name_len > in + len || t->value < in ||
		    t->value + t->value_len > in + len || t->raw + t->raw_len > in + len ||
		    t->value < t->raw || t->value + t->value_len > t->raw + t->raw_len)
			abort();
		if (tag_list_get(&tl, "zz-not-a-tag") != NULL)
			abort();
	}
}

static void
check_verify(const char *in, size_t len)
{
	struct dkim_verify_policy pol;
	struct dkim_verify *v;
	size_t hsize = rfc5322_header_size(in, len), i, n;
	const struct dkim_result *r;

	dkim_verify_policy_default(&pol);
	v = dkim_verify_new(&pol, 1800000000);
	dkim_verify_header(v, in, hsize);
	for (i = 0; i < dkim_verify_key_count(v); i++) {
		/* the key record is the input's first line, or NXDOMAIN for odd indexes */
		const char *nl = memchr(in, '\n', len);
		size_t kl = nl != NULL ? (size_t)(nl - in) : len;

		if (i % 2 == 0)
			dkim_verify_key_answer(v, i, DKIM_DNS_OK, &in, &kl, 1);
		else
			dkim_verify_key_answer(v, i, DKIM_DNS_NXDOMAIN, NULL, NULL, 0);
	}
	/* the body in two uneven chunks */
	dkim_verify_body(v, in + hsize, (len - hsize) / 3);
	dkim_verify_body(v, in + hsize + (len - hsize) / 3, len - hsize - (len - hsize) / 3);
	dkim_verify_finish(v);
	r = dkim_verify_results(v, &n);
	for (i = 0; i < n; i++)
		if ((unsigned)r[i].status > DKIM_STATUS_PERMERROR || r[i].reason[0] == '\0')
			abort();
	dkim_verify_free(&v);
}

static void
body_digest(const char *in, size_t len, enum dkim_canon c, long limit, size_t chunk,
	    unsigned char *d, unsigned *dl, uint64_t *total)
{
	struct dkim_body_hash bh;
	size_t i;

	dkim_body_hash_init(&bh, c, EVP_sha256(), limit >= 0, (uint64_t)(limit >= 0 ? limit : 0));
	for (i = 0; i < len; i += chunk)
		dkim_body_hash_update(&bh, in + i, len - i < chunk ? len - i : chunk);
	dkim_body_hash_final(&bh, d, dl);
	*total = bh.total;
	dkim_body_hash_clear(&bh);
}

static void
check_body_chunks(const char *in, size_t len)
{
	static const size_t chunks[] = {1, 2, 7};
	long limit = len > 0 ? (long)(unsigned char)in[0] : -1;
	unsigned char d0[EVP_MAX_MD_SIZE], d1[EVP_MAX_MD_SIZE];
	unsigned l0, l1;
	uint64_t t0, t1;
	int c;
	size_t k;

	for (c = 0; c < 2; c++) {
		for (int lim = 0; lim < 2; lim++) {
			long l = lim ? limit : -1;

			body_digest(in, len, (enum dkim_canon)c, l, len > 0 ? len : 1, d0, &l0,
				    &t0);
			for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
				body_digest(in, len, (enum dkim_canon)c, l, chunks[k], d1, &l1,
					    &t1);
				if (l0 != l1 || memcmp(d0, d1, l0) != 0 || t0 != t1)
					abort();
			}
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *error;
	struct dkim_sig sig;
	struct dkim_key key;

	check_tags(in, size);
	dkim_sig_parse(&sig, in, size, &error);
	dkim_sig_clear(&sig);
	dkim_key_parse(&key, in, size, &error);
	dkim_key_clear(&key);
	check_verify(in, size);
	check_body_chunks(in, size);
	return 0;
}
