/* libFuzzer target: Authentication-Results (src/mailauth/authres.c, RFC 8601). The input is
 * taken as a field value (its authserv-id read), as a header block (fields claiming to be
 * ours found and removed), and, split at the first NUL, as texts given to the builder.
 * Hostile input must never crash, leak or stall; the stripped block must be the input minus
 * exactly the fields found; a built field must fold to lines of at most AUTHRES_LINE_MAX
 * (unless one element is longer), hold no bare CR/LF and parse back to its authserv-id. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
build(const char *text, const char *id)
{
	struct authres_builder b;
	struct buf out, got;
	const char *p, *nl;

	buf_init(&out);
	buf_init(&got);
	authres_begin(&b, &out, id, 1);
	authres_method(&b, "dkim", "fail");
	authres_reason(&b, text);
	authres_comment(&b, text);
	authres_prop(&b, "header", "d", text);
	authres_prop_b(&b, text);
	authres_prop(&b, "smtp", "mailfrom", text);
	authres_end(&b);
	/* no NUL, and CR only in CRLF followed by a tab (a fold) or at the end */
	if (memchr(out.data, '\0', out.len) != NULL)
		abort();
	for (p = out.data; (nl = memchr(p, '\r', out.len - (size_t)(p - out.data))) != NULL;
	     p = nl + 2)
		if (nl[1] != '\n' || (nl + 2 != out.data + out.len && nl[2] != '\t'))
			abort();
	if (memchr(out.data, '\n', out.len) != NULL) {
		for (p = out.data; p < out.data + out.len; p++)
			if (*p == '\n' && (p == out.data || p[-1] != '\r'))
				abort();
	}
	/* what we build is ours, and recognized so */
	if (authres_parse_id(out.data + 23, out.len - 25, &got) != AUTHRES_ID_OK ||
	    strcmp(buf_cstr(&got), id) != 0)
		abort();
	buf_reset(&got);
	if (authres_strip_ours(out.data, out.len, id, &got) != 1 || got.len != 0)
		abort();
	buf_free(&out);
	buf_free(&got);
}

static bool
printable(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 127)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct rfc5322_field f[4];
	struct buf id, out;
	size_t n, removed, i, sum = 0;
	const char *nul;

	buf_init(&id);
	buf_init(&out);
	(void)authres_parse_id(in, size, &id);
	if (id.len > size)
		abort();
	n = authres_find_ours(in, size, "mx.example.com", f, 4);
	for (i = 0; i < n && i < 4; i++) {
		if (f[i].raw < in || f[i].raw + f[i].raw_len > in + size)
			abort();
		sum += f[i].raw_len;
	}
	removed = authres_strip_ours(in, size, "mx.example.com", &out);
	if (removed != n || (n <= 4 && out.len != size - sum) || out.len > size)
		abort();
	buf_free(&id);
	buf_free(&out);

	nul = memchr(in, '\0', size);
	if (nul != NULL) {
		char *text = strndup(in, (size_t)(nul - in));
		char *rest = strndup(nul + 1, size - (size_t)(nul + 1 - in));

		/* an authserv-id is ours (a hostname): non-empty, no controls (the builder would
		 * replace them), not just the dot that authres_id_equal() ignores */
		if (text != NULL && rest != NULL && printable(rest) && strcmp(rest, ".") != 0)
			build(text, rest);
		free(text);
		free(rest);
	}
	return 0;
}
