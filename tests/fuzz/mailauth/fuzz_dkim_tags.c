/* libFuzzer target: DKIM tag lists (RFC 6376 3.2), DKIM-Signature fields (3.5) and key
 * records (3.6.1), then a whole verification with the input as the message and as the key
 * record. Hostile input must give an error or a result, never a crash, a leak or a stall;
 * parsed tags must lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
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
	return 0;
}
