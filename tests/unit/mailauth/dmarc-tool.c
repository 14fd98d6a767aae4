/* dmarc-tool: evaluates DMARC for one message header with src/mailauth's DMARC core, the
 * policy records given on the command line instead of DNS. For the interop test with
 * python3-authheaders (test_dmarc_interop.py). Not installed.
 *
 *   dmarc-tool [--spf DOMAIN] [--dkim DOMAIN]... [--rand N] NAME=TXT... < header
 *
 * --spf: SPF passed for DOMAIN; --dkim: a signature with that d= passed; --rand: the pct
 * sample number (0-99). NAME=TEMPFAIL answers a DNS failure; a name not given is NXDOMAIN;
 * a name given twice has two TXT records. Prints one line:
 *   result=pass policy=reject disposition=none from=example.com policy_domain=example.com
 *     org=0 spf_aligned=1 dkim_aligned=0 from_status=0 queries=1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc.h"
#include "util/buf.h"

static unsigned
fixed_rand(void *ctx)
{
	return *(unsigned *)ctx;
}

int
main(int argc, char **argv)
{
	const char *dkim[32];
	struct dmarc_auth auth = {.dkim_pass_domains = dkim};
	unsigned rnd = 0;
	int first = 1, queries = 0;
	struct buf hdr;
	char chunk[8192];
	size_t n;
	const char *q;
	struct dmarc_verdict v;

	while (first < argc && strncmp(argv[first], "--", 2) == 0 && first + 1 < argc) {
		if (strcmp(argv[first], "--spf") == 0) {
			auth.spf_pass = true;
			auth.spf_domain = argv[first + 1];
		} else if (strcmp(argv[first], "--dkim") == 0 && auth.dkim_pass_count < 32) {
			dkim[auth.dkim_pass_count++] = argv[first + 1];
		} else if (strcmp(argv[first], "--rand") == 0) {
			rnd = (unsigned)strtoul(argv[first + 1], NULL, 10);
		} else {
			fprintf(stderr, "dmarc-tool: unknown option %s\n", argv[first]);
			return 64;
		}
		first += 2;
	}
	buf_init(&hdr);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_append(&hdr, chunk, n);

	struct dmarc_eval *e = dmarc_eval_new(hdr.data ? hdr.data : "", hdr.len);
	while ((q = dmarc_eval_query(e)) != NULL) {
		const char *txts[16];
		size_t lens[16], count = 0, qlen = strlen(q);
		int tempfail = 0;

		queries++;
		for (int i = first; i < argc; i++) {
			const char *eq = strchr(argv[i], '=');
			if (eq == NULL || (size_t)(eq - argv[i]) != qlen ||
			    strncasecmp(argv[i], q, qlen) != 0)
				continue;
			if (strcmp(eq + 1, "TEMPFAIL") == 0)
				tempfail = 1;
			else if (count < 16) {
				txts[count] = eq + 1;
				lens[count++] = strlen(eq + 1);
			}
		}
		if (tempfail)
			dmarc_eval_answer(e, DMARC_DNS_TEMPFAIL, NULL, NULL, 0);
		else if (count == 0)
			dmarc_eval_answer(e, DMARC_DNS_NXDOMAIN, NULL, NULL, 0);
		else
			dmarc_eval_answer(e, DMARC_DNS_OK, txts, lens, count);
	}
	dmarc_eval_finish(e, &auth, fixed_rand, &rnd, &v);
	dmarc_eval_free(&e);
	printf("result=%s policy=%s disposition=%s from=%s policy_domain=%s org=%d "
	       "spf_aligned=%d dkim_aligned=%d from_status=%d queries=%d\n",
	       dmarc_result_name(v.result), dmarc_policy_name(v.policy),
	       dmarc_policy_name(v.disposition), v.from_domain, v.policy_domain, v.org_record,
	       v.spf_aligned, v.dkim_aligned, (int)v.from, queries);
	buf_free(&hdr);
	return 0;
}
