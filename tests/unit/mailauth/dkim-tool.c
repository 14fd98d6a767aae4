/* dkim-tool: signs or verifies one message with src/mailauth's DKIM core, keys and key
 * records given on the command line instead of DNS. For the interop tests
 * (tests/integration/test_dkim_interop.py) and the CPU measurement. Not installed.
 *
 *   dkim-tool sign KEY.pem:DOMAIN:SELECTOR... < msg      signed message on stdout
 *   dkim-tool verify [--accept-sha1] [--now T] [--chunk N] NAME=TXT... < msg
 *                                                         one line per signature;
 *                                                         exit 0 if all pass
 *   dkim-tool bench N NAME=TXT... < msg                  µs of CPU per verification
 *   dkim-tool bench-sign N KEY.pem:DOMAIN:SELECTOR... < msg   µs of CPU per signing
 *   dkim-tool record KEY.pem                             the TXT record to publish
 *   dkim-tool rawkey KEY.pem                             base64 Ed25519 seed (dkimpy)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "mail/rfc5322.h"
#include "mailauth/dkim_sign.h"
#include "mailauth/dkim_verify.h"
#include "util/base64.h"
#include "util/buf.h"

/* The message from stdin with every bare LF made CRLF (SMTP's form of a message). */
static void
read_message(struct buf *msg)
{
	char chunk[8192];
	size_t n;
	char prev = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (chunk[i] == '\n' && prev != '\r')
				buf_appendc(msg, '\r');
			buf_appendc(msg, chunk[i]);
			prev = chunk[i];
		}
	}
}

/* Loads the KEY.pem:DOMAIN:SELECTOR arguments; -1 on a bad one. */
static int
load_keys(int argc, char **argv, struct dkim_sign_key *keys, size_t *n_r)
{
	const char *error;
	size_t n = 0;
	int i;

	for (i = 0; i < argc && n < 8; i++) {
		char *spec = strdup(argv[i]), *dom = strchr(spec, ':'), *sel;
		int ret;

		if (dom == NULL || (sel = strchr(dom + 1, ':')) == NULL) {
			fprintf(stderr, "bad key spec %s (KEY:DOMAIN:SELECTOR)\n", argv[i]);
			free(spec);
			return -1;
		}
		*dom++ = '\0';
		*sel++ = '\0';
		ret = dkim_sign_key_load(&keys[n], spec, dom, sel, &error);
		if (ret < 0)
			fprintf(stderr, "%s: %s\n", spec, error);
		free(spec);
		if (ret < 0)
			return -1;
		n++;
	}
	*n_r = n;
	return 0;
}

static int
cmd_sign(int argc, char **argv)
{
	struct dkim_sign_key keys[8];
	struct buf msg = BUF_INIT, out = BUF_INIT;
	struct dkim_sign *s;
	const char *error;
	size_t n = 0, hsize;
	int ret = 0;

	if (load_keys(argc, argv, keys, &n) < 0)
		return 2;
	read_message(&msg);
	hsize = rfc5322_header_size(msg.data, msg.len);
	s = dkim_sign_new(time(NULL));
	dkim_sign_body(s, msg.data + hsize, msg.len - hsize);
	if (dkim_sign_finish(s, keys, n, msg.data, hsize, &out, &error) < 0) {
		fprintf(stderr, "sign: %s\n", error);
		ret = 1;
	} else {
		fwrite(out.data, 1, out.len, stdout);
		fwrite(msg.data, 1, msg.len, stdout);
	}
	dkim_sign_free(&s);
	for (size_t k = 0; k < n; k++)
		dkim_sign_key_clear(&keys[k]);
	buf_free(&msg);
	buf_free(&out);
	return ret;
}

/* One verification of msg; answers key lookups from the NAME=TXT arguments. Prints the
 * results when print is set. Returns the number of signatures that did not pass. */
static bool accept_sha1;

static size_t
verify_once(const struct buf *msg, char **txts, int n_txts, time_t now, size_t chunk, bool print)
{
	struct dkim_verify_policy pol;
	struct dkim_verify *v;
	const struct dkim_result *r;
	size_t hsize = rfc5322_header_size(msg->data, msg->len), i, n, bad = 0;

	dkim_verify_policy_default(&pol);
	pol.accept_rsa_sha1 = accept_sha1;
	v = dkim_verify_new(&pol, now);
	dkim_verify_header(v, msg->data, hsize);
	for (i = 0; i < dkim_verify_key_count(v); i++) {
		const char *name = dkim_verify_key_name(v, i);
		size_t nl = strlen(name);
		bool found = false;

		for (int t = 0; t < n_txts; t++) {
			if (strncasecmp(txts[t], name, nl) == 0 && txts[t][nl] == '=') {
				const char *txt = txts[t] + nl + 1;
				size_t len = strlen(txt);

				if (strcmp(txt, "TEMPFAIL") == 0)
					dkim_verify_key_answer(v, i, DKIM_DNS_TEMPFAIL, NULL, NULL,
							       0);
				else
					dkim_verify_key_answer(v, i, DKIM_DNS_OK, &txt, &len, 1);
				found = true;
			}
		}
		if (!found)
			dkim_verify_key_answer(v, i, DKIM_DNS_NXDOMAIN, NULL, NULL, 0);
	}
	for (i = hsize; i < msg->len; i += chunk)
		dkim_verify_body(v, msg->data + i, msg->len - i < chunk ? msg->len - i : chunk);
	dkim_verify_finish(v);
	r = dkim_verify_results(v, &n);
	for (i = 0; i < n; i++) {
		if (r[i].status != DKIM_STATUS_PASS)
			bad++;
		if (print)
			printf("dkim=%s header.d=%s header.s=%s a=%s bits=%u reason=\"%s\"\n",
			       dkim_status_name(r[i].status), r[i].domain ? r[i].domain : "-",
			       r[i].selector ? r[i].selector : "-",
			       r[i].alg_known ? dkim_alg_name(r[i].alg) : "-", r[i].key_bits,
			       r[i].reason);
	}
	if (n == 0 && print)
		printf("dkim=none\n");
	if (dkim_verify_dropped(v) > 0 && print)
		printf("dropped=%zu\n", dkim_verify_dropped(v));
	dkim_verify_free(&v);
	return n == 0 ? 1 : bad;
}

static int
cmd_verify(int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	time_t now = time(NULL);
	size_t chunk = 4096, bad;

	while (argc >= 1 && strncmp(argv[0], "--", 2) == 0) {
		if (strcmp(argv[0], "--accept-sha1") == 0) {
			accept_sha1 = true;
			argc--;
			argv++;
			continue;
		}
		if (argc < 2)
			break;
		if (strcmp(argv[0], "--now") == 0)
			now = (time_t)strtoll(argv[1], NULL, 10);
		else if (strcmp(argv[0], "--chunk") == 0)
			chunk = (size_t)strtoul(argv[1], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (chunk == 0)
		chunk = 1;
	read_message(&msg);
	bad = verify_once(&msg, argv, argc, now, chunk, true);
	buf_free(&msg);
	return bad == 0 ? 0 : 1;
}

static int
cmd_bench(int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	long n = argc > 0 ? strtol(argv[0], NULL, 10) : 0, i;
	struct timespec a, b;
	size_t bad = 0;

	if (n <= 0)
		return 2;
	read_message(&msg);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < n; i++)
		bad += verify_once(&msg, argv + 1, argc - 1, time(NULL), 4096, false);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("%ld verifications of a %zu-byte message, %.1f us CPU each, %zu not pass\n", n,
	       msg.len,
	       ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
		       (double)n,
	       bad);
	buf_free(&msg);
	return bad == 0 ? 0 : 1;
}

static int
cmd_bench_sign(int argc, char **argv)
{
	struct dkim_sign_key keys[8];
	struct buf msg = BUF_INIT, out = BUF_INIT;
	long n = argc > 0 ? strtol(argv[0], NULL, 10) : 0, i;
	size_t nk = 0, hsize, k;
	struct timespec a, b;
	const char *error;

	if (n <= 0 || load_keys(argc - 1, argv + 1, keys, &nk) < 0)
		return 2;
	read_message(&msg);
	hsize = rfc5322_header_size(msg.data, msg.len);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < n; i++) {
		struct dkim_sign *s = dkim_sign_new(time(NULL));

		dkim_sign_body(s, msg.data + hsize, msg.len - hsize);
		buf_reset(&out);
		if (dkim_sign_finish(s, keys, nk, msg.data, hsize, &out, &error) < 0)
			return 1;
		dkim_sign_free(&s);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("%ld signings (%zu keys) of a %zu-byte message, %.1f us CPU each\n", n, nk, msg.len,
	       ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
		       (double)n);
	for (k = 0; k < nk; k++)
		dkim_sign_key_clear(&keys[k]);
	buf_free(&msg);
	buf_free(&out);
	return 0;
}

static int
cmd_key(const char *path, bool raw)
{
	struct dkim_sign_key key;
	struct buf out = BUF_INIT;
	const char *error;

	if (dkim_sign_key_load(&key, path, "example", "x", &error) < 0) {
		fprintf(stderr, "%s: %s\n", path, error);
		return 2;
	}
	if (raw) {
		unsigned char seed[32];
		size_t len = sizeof(seed);

		if (EVP_PKEY_get_raw_private_key(key.pkey, seed, &len) != 1)
			return 2;
		base64_encode(&out, seed, len);
	} else {
		dkim_sign_key_record(&key, &out);
	}
	printf("%s\n", buf_cstr(&out));
	buf_free(&out);
	dkim_sign_key_clear(&key);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "bench-sign") == 0)
		return cmd_bench_sign(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "record") == 0)
		return cmd_key(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "rawkey") == 0)
		return cmd_key(argv[2], true);
	fprintf(stderr, "usage: dkim-tool sign|verify|bench|bench-sign|record|rawkey ...\n");
	return 2;
}
