/* arc-tool: validates or seals one message with src/mailauth's ARC code (arc_verify.h,
 * arc_seal.h), key records given on the command line instead of DNS. For the interop tests
 * (tests/integration/test_arc_interop.py), the unit tests' data and the CPU measurement.
 * Not installed.
 *
 *   arc-tool verify [--chunk N] [--ip IP] [--id AUTHSERV-ID] NAME=TXT... < msg
 *       prints "cv=<cv> n=<N> oldest-pass=<k> tempfail=<0|1> reason="..."" and the
 *       Authentication-Results field arc_verify_authres() makes; exit 0 if cv=pass,
 *       1 if fail, 3 if none. TXT "TEMPFAIL" answers that name with a DNS failure; a
 *       name not given is NXDOMAIN.
 *   arc-tool seal [--cv none|pass|fail] [--id AUTHSERV-ID] [--ar RESULTS] [--ip IP]
 *                 KEY.pem:DOMAIN:SELECTOR NAME=TXT... < msg
 *       validates the chain (unless --cv is given), builds our Authentication-Results
 *       ("<id>; RESULTS; arc=<cv> ..."), seals, and prints the message with the new set
 *       on top; exit 0, or 1 with the reason on stderr when it is not sealed.
 *   arc-tool bench N NAME=TXT... < msg       µs of CPU per validation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/rfc5322.h"
#include "mailauth/arc_seal.h"
#include "mailauth/arc_verify.h"
#include "mailauth/authres.h"
#include "util/buf.h"

static size_t chunk_size = 4096;
static const char *remote_ip;
static const char *authserv_id = "mx.yubin.test";

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

/* Validates msg, key lookups answered from the NAME=TXT arguments. */
static struct arc_verify *
validate(const struct buf *msg, char **txts, int n_txts)
{
	struct dkim_verify_policy pol;
	struct arc_verify *v;
	size_t hsize = rfc5322_header_size(msg->data, msg->len), i;

	dkim_verify_policy_default(&pol);
	v = arc_verify_new(&pol, time(NULL));
	arc_verify_header(v, msg->data, hsize);
	for (i = 0; i < arc_verify_key_count(v); i++) {
		const char *name = arc_verify_key_name(v, i);
		size_t nl = strlen(name);
		bool found = false;

		for (int t = 0; t < n_txts && !found; t++) {
			if (strncasecmp(txts[t], name, nl) == 0 && txts[t][nl] == '=') {
				const char *txt = txts[t] + nl + 1;
				size_t len = strlen(txt);

				if (strcmp(txt, "TEMPFAIL") == 0)
					arc_verify_key_answer(v, i, DKIM_DNS_TEMPFAIL, NULL, NULL,
							      0);
				else
					arc_verify_key_answer(v, i, DKIM_DNS_OK, &txt, &len, 1);
				found = true;
			}
		}
		if (!found)
			arc_verify_key_answer(v, i, DKIM_DNS_NXDOMAIN, NULL, NULL, 0);
	}
	for (i = hsize; i < msg->len; i += chunk_size)
		arc_verify_body(v, msg->data + i,
				msg->len - i < chunk_size ? msg->len - i : chunk_size);
	arc_verify_finish(v);
	return v;
}

/* Options shared by the commands; returns how many arguments they took. */
static int
options(int argc, char **argv, const char **cv, const char **ar)
{
	int i = 0;

	while (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
		const char *o = argv[i], *val = argv[i + 1];

		if (strcmp(o, "--chunk") == 0)
			chunk_size = strtoul(val, NULL, 10) > 0 ? strtoul(val, NULL, 10) : 1;
		else if (strcmp(o, "--ip") == 0)
			remote_ip = val;
		else if (strcmp(o, "--id") == 0)
			authserv_id = val;
		else if (strcmp(o, "--cv") == 0 && cv != NULL)
			*cv = val;
		else if (strcmp(o, "--ar") == 0 && ar != NULL)
			*ar = val;
		else
			break;
		i += 2;
	}
	return i;
}

/* Our Authentication-Results field: "<id>; [RESULTS;] arc=..." */
static void
build_ar(struct buf *out, const struct arc_verify *v, const char *results)
{
	struct authres_builder b;
	struct buf tmp = BUF_INIT;
	const char *semi;

	authres_begin(&b, &tmp, authserv_id, 0);
	arc_verify_authres(v, &b, remote_ip);
	authres_end(&b);
	semi = strchr(buf_cstr(&tmp), ';');
	if (results == NULL || semi == NULL) {
		buf_append(out, tmp.data, tmp.len);
	} else {
		buf_append(out, tmp.data, (size_t)(semi - tmp.data) + 1);
		buf_printf(out, " %s;\r\n\t", results);
		buf_appends(out, semi + 2); /* after "; " */
	}
	buf_free(&tmp);
}

static int
cmd_verify(int argc, char **argv)
{
	struct buf msg = BUF_INIT, ar = BUF_INIT;
	struct arc_verify *v;
	const struct arc_result *r;
	int skip = options(argc, argv, NULL, NULL), ret;

	read_message(&msg);
	v = validate(&msg, argv + skip, argc - skip);
	r = arc_verify_result(v);
	printf("cv=%s n=%u oldest-pass=%u tempfail=%d reason=\"%s\"\n", arc_cv_name(r->cv),
	       r->n_sets, r->oldest_pass, r->tempfail, r->reason);
	build_ar(&ar, v, NULL);
	fwrite(ar.data, 1, ar.len, stdout);
	ret = r->cv == ARC_CV_PASS ? 0 : r->cv == ARC_CV_FAIL ? 1 : 3;
	arc_verify_free(&v);
	buf_free(&msg);
	buf_free(&ar);
	return ret;
}

static int
cmd_seal(int argc, char **argv)
{
	struct buf msg = BUF_INIT, ar = BUF_INIT, out = BUF_INIT;
	struct dkim_sign_key key;
	struct arc_verify *v;
	struct arc_seal *s;
	const char *cv_opt = NULL, *results = NULL, *error;
	char *spec, *dom, *sel;
	enum arc_cv cv;
	size_t hsize;
	int skip = options(argc, argv, &cv_opt, &results), ret = 1;

	if (argc - skip < 1) {
		fprintf(stderr, "seal: KEY.pem:DOMAIN:SELECTOR needed\n");
		return 2;
	}
	spec = strdup(argv[skip]);
	dom = strchr(spec, ':');
	sel = dom != NULL ? strchr(dom + 1, ':') : NULL;
	if (sel == NULL) {
		fprintf(stderr, "bad key spec %s\n", argv[skip]);
		free(spec);
		return 2;
	}
	*dom++ = '\0';
	*sel++ = '\0';
	if (dkim_sign_key_load(&key, spec, dom, sel, &error) < 0) {
		fprintf(stderr, "%s: %s\n", spec, error);
		free(spec);
		return 2;
	}
	free(spec);
	read_message(&msg);
	v = validate(&msg, argv + skip + 1, argc - skip - 1);
	cv = arc_verify_result(v)->cv;
	if (cv_opt != NULL)
		cv = strcmp(cv_opt, "pass") == 0   ? ARC_CV_PASS
		     : strcmp(cv_opt, "fail") == 0 ? ARC_CV_FAIL
						   : ARC_CV_NONE;
	build_ar(&ar, v, results);
	hsize = rfc5322_header_size(msg.data, msg.len);
	s = arc_seal_new(time(NULL));
	for (size_t i = hsize; i < msg.len; i += chunk_size)
		arc_seal_body(s, msg.data + i, msg.len - i < chunk_size ? msg.len - i : chunk_size);
	if (arc_seal_finish(s, &key, cv, ar.data, ar.len, msg.data, hsize, &out, &error) < 0) {
		fprintf(stderr, "seal: %s\n", error);
	} else {
		fwrite(out.data, 1, out.len, stdout);
		fwrite(msg.data, 1, msg.len, stdout);
		ret = 0;
	}
	arc_seal_free(&s);
	arc_verify_free(&v);
	dkim_sign_key_clear(&key);
	buf_free(&msg);
	buf_free(&ar);
	buf_free(&out);
	return ret;
}

static int
cmd_bench(int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	long n = argc > 0 ? strtol(argv[0], NULL, 10) : 0;
	struct timespec a, b;
	enum arc_cv cv = ARC_CV_NONE;

	if (n <= 0) {
		fprintf(stderr, "bench N NAME=TXT...\n");
		return 2;
	}
	read_message(&msg);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (long i = 0; i < n; i++) {
		struct arc_verify *v = validate(&msg, argv + 1, argc - 1);

		cv = arc_verify_result(v)->cv;
		arc_verify_free(&v);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	printf("cv=%s %.1f us/validation (%ld runs, %zu bytes)\n", arc_cv_name(cv),
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 /
		       (double)n,
	       n, msg.len);
	buf_free(&msg);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "seal") == 0)
		return cmd_seal(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	fprintf(stderr, "usage: arc-tool verify|seal|bench ... < message\n");
	return 2;
}
