/* libFuzzer target: DMARC records (RFC 7489 6.3, 6.4) and a whole evaluation (6.6) with the
 * input as the policy record at the From domain and, split at the first NUL, at the
 * organizational domain, and as the message header. Hostile input must give a status or a
 * verdict, never a crash, a leak or a stall; parsed values must lie inside the input; the
 * verdict must be consistent (pct in range, disposition no stricter than the policy). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc.h"
#include "mailauth/dmarc_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *p, size_t n, const char *in, size_t len)
{
	if (p != NULL && (p < in || p + n > in + len))
		abort();
}

static unsigned
rnd(void *ctx)
{
	return *(const unsigned *)ctx;
}

static void
evaluate(const char *hdr, size_t hdr_len, const char *rec, size_t rec_len, unsigned r)
{
	const char *d[] = {"example.com", "sub.example.co.uk"};
	struct dmarc_auth auth = {.spf_pass = r & 1,
				  .spf_domain = "mail.example.com",
				  .dkim_pass_domains = d,
				  .dkim_pass_count = r & 2 ? 2 : 0};
	struct dmarc_eval *e = dmarc_eval_new(hdr, hdr_len);
	struct dmarc_verdict v;
	int asked = 0;

	while (dmarc_eval_query(e) != NULL) {
		const char *txts[2] = {rec, rec};
		size_t lens[2] = {rec_len, rec_len};
		if (++asked > 2)
			abort();
		dmarc_eval_answer(e, (enum dmarc_dns)(r % 3), txts, lens, 1 + (r >> 7 & 1));
	}
	dmarc_eval_finish(e, &auth, rnd, &r, &v);
	dmarc_eval_free(&e);
	if (v.disposition > v.policy || v.reason == NULL)
		abort();
	if (v.result == DMARC_RESULT_PASS && v.disposition != DMARC_POLICY_NONE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct dmarc_record r;
	const char *nul = memchr(in, '\0', size);
	size_t first = nul ? (size_t)(nul - in) : size;

	if (dmarc_record_parse(in, size, &r, NULL) == DMARC_RECORD_OK) {
		inside(r.rua, r.rua_len, in, size);
		inside(r.ruf, r.ruf_len, in, size);
		inside(r.fo, r.fo_len, in, size);
		inside(r.rf, r.rf_len, in, size);
		if (r.pct > 100 || r.p == DMARC_POLICY_UNSET)
			abort();
	}
	(void)dmarc_uri_list_valid(in, size);
	/* the input as the record, for a fixed From: and a subdomain one */
	evaluate("From: a@example.com\r\n\r\n", 24, in, size, size);
	evaluate("From: a@news.example.com\r\n\r\n", 29, in, first, size * 7 + 1);
	/* the input as the header, a fixed record */
	evaluate(in, size, "v=DMARC1; p=reject; sp=quarantine; pct=50", 41, size + 3);
	return 0;
}
