/* libFuzzer target: ARC (RFC 8617) header parsing, set collection and the structural checks
 * (arc_chain.c, 5.2 steps 1-3), the arc= reader of Authentication-Results, and a whole
 * validation (arc_verify.c) with the input as the message header (up to the first NUL)
 * and, after it, as the key record every lookup gets and as the body. Hostile input must give a
 * chain status, never a crash, a leak or a stall; the status must agree with the structure it
 * claims (a sound chain: sets 1..N complete, N <= 50, cv=none at 1 and pass above; no ARC field:
 * none, N = 0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailauth/arc_chain.h"
#include "mailauth/arc_seal.h"
#include "mailauth/arc_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_chain(const char *hdr, size_t len)
{
	struct arc_chain *c = calloc(1, sizeof(*c));
	struct dkim_fields fs;
	size_t i, arc_fields = 0;
	unsigned k;

	dkim_fields_parse(&fs, hdr, len);
	for (i = 0; i < fs.count; i++)
		arc_fields += arc_field_kind(&fs.f[i]) >= 0;
	arc_chain_parse(c, &fs);
	if ((c->status == ARC_CV_NONE) != (arc_fields == 0) || c->n > ARC_MAX_SETS)
		abort();
	if (c->status == ARC_CV_FAIL && c->reason == NULL)
		abort();
	if (c->status == ARC_CV_PASS) {
		if (c->n < 1 || arc_fields != 3 * (size_t)c->n)
			abort();
		for (k = 1; k <= c->n; k++) {
			struct buf data = BUF_INIT;

			for (i = 0; i < 3; i++)
				if (c->sets[k].field[i] >= fs.count)
					abort();
			if (c->sets[k].cv != (k == 1 ? ARC_CV_NONE : ARC_CV_PASS))
				abort();
			arc_chain_seal_data(c, &fs, k, k % 2 == 0, &data);
			buf_free(&data);
		}
	}
	arc_chain_clear(c);
	free(c);
	dkim_fields_free(&fs);
}

static void
validate(const char *hdr, size_t hdr_len, const char *rest, size_t rest_len)
{
	struct dkim_verify_policy pol;
	struct arc_verify *v;
	const struct arc_result *r;
	unsigned n;
	size_t i;

	dkim_verify_policy_default(&pol);
	v = arc_verify_new(&pol, (time_t)1796000000);
	n = arc_verify_header(v, hdr, hdr_len);
	if (arc_verify_key_count(v) > 2 * ARC_MAX_SETS)
		abort();
	for (i = 0; i < arc_verify_key_count(v); i++)
		arc_verify_key_answer(v, i, (enum dkim_dns_rcode)(i % 3), &rest, &rest_len, 1);
	arc_verify_body(v, rest, rest_len / 2);
	arc_verify_body(v, rest + rest_len / 2, rest_len - rest_len / 2);
	arc_verify_finish(v);
	r = arc_verify_result(v);
	if (r->n_sets != n || (r->cv == ARC_CV_PASS && (n < 1 || r->oldest_pass > n)))
		abort();
	{
		struct authres_builder b;
		struct buf out = BUF_INIT;

		authres_begin(&b, &out, "mx.example.org", 0);
		arc_verify_authres(v, &b, "192.0.2.1");
		authres_end(&b);
		buf_free(&out);
	}
	arc_verify_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul = memchr(in, '\0', size);
	size_t hdr_len = nul != NULL ? (size_t)(nul - in) : size;
	const char *rest = nul != NULL ? nul + 1 : in + size;
	size_t rest_len = nul != NULL ? size - hdr_len - 1 : 0;
	unsigned i;
	enum arc_cv cv;
	int k;

	for (k = ARC_AAR; k <= ARC_AS; k++)
		if (arc_field_instance((enum arc_field_kind)k, in, size, &i) == 0 &&
		    (i < 1 || i > ARC_MAX_SETS))
			abort();
	(void)arc_parse_cv(in, size, &cv);
	if (arc_authres_cv(in, size, &cv) == 0 && cv != ARC_CV_NONE && cv != ARC_CV_PASS &&
	    cv != ARC_CV_FAIL)
		abort();
	check_chain(in, hdr_len);
	validate(in, hdr_len, rest, rest_len);
	return 0;
}
