/* libFuzzer target: SPF records (spf_record_parse) and macro strings (spf_macro_expand).
 * Input: one byte choosing the mode, then the text. Checks that a parsed record's
 * domain-specs expand, that expansions stay within bounds, and that a check of the syntax
 * agrees with expansion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_macro.h"
#include "mailauth/spf_record.h"
#include "util/buf.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct spf_macro_vars vars = {
	.s = "strong-bad@email.example.com",
	.l = "strong-bad",
	.o = "email.example.com",
	.d = "email.example.com",
	.i = "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
	.p = "mx.example.com",
	.v = "ip6",
	.h = "mx.example.org",
	.c = "2001:db8::cb01",
	.r = "mx.example.net",
	.t = 1234567890,
};

static void
expand_domain(const char *spec)
{
	struct buf out = BUF_INIT;
	const char *error;

	/* the parser checked the syntax: expansion must not fail */
	if (spf_macro_expand_domain(spec, &vars, &out, &error) < 0)
		abort();
	if (out.len > 253)
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_record *rec = NULL;
	struct buf out = BUF_INIT;
	const char *error;
	char *text;
	bool in_exp;
	size_t i;
	int r, c;

	if (size < 1)
		return 0;
	in_exp = (data[0] & 1) != 0;
	text = xstrndup((const char *)data + 1, size - 1);
	if ((data[0] & 2) == 0) {
		if (spf_record_parse(text, &rec, &error) == 0) {
			for (i = 0; i < rec->n_terms; i++) {
				if (rec->terms[i].domain != NULL)
					expand_domain(rec->terms[i].domain);
			}
			if (rec->redirect != NULL)
				expand_domain(rec->redirect);
			if (rec->exp != NULL)
				expand_domain(rec->exp);
			spf_record_free(&rec);
		} else if (rec != NULL || error == NULL) {
			abort();
		}
	} else {
		r = spf_macro_expand(text, strlen(text), &vars, in_exp, &out, &error);
		c = spf_macro_check(text, strlen(text), in_exp, &error);
		if (r != c)
			abort();
		/* each input octet expands to a bounded amount of text */
		if (out.len > 300 * (strlen(text) + 1))
			abort();
		(void)spf_macro_uses_p(text, strlen(text));
		buf_reset(&out);
		(void)spf_macro_expand_domain(text, &vars, &out, &error);
		if (out.len > 253)
			abort();
		buf_free(&out);
	}
	free(text);
	return 0;
}
