/* libFuzzer target: check_host() on hostile DNS data. Every TXT lookup answers the input
 * (split into records at newlines), every name has an A and an AAAA record, MX and PTR
 * answers come from the input too. Checks that the check ends (the callback runs exactly
 * once), that it stays within its query bound, and that answers given later (as from the
 * event loop) reach the same result as answers given at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf.h"
#include "util/str.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_dns {
	char **records; /* the input's lines */
	size_t n;
	unsigned lookups;
	bool async;
	/* async: one queued answer at a time is enough, the evaluator waits for each */
	spf_dns_answer_cb *cb;
	void *ctx;
	enum spf_rr type;
	char *name;
};

struct fuzz_result {
	int calls;
	enum spf_result result;
};

static void
fuzz_answer(struct fuzz_dns *fd, enum spf_rr type, const char *name, spf_dns_answer_cb *cb,
	    void *ctx)
{
	static const char *const a[] = {"192.0.2.1", "198.51.100.1"};
	static const char *const aaaa[] = {"2001:db8::1"};
	size_t h = strlen(name);

	switch (type) {
	case SPF_RR_TXT:
		if (h % 7 == 3) /* some names have nothing */
			cb(ctx, SPF_DNS_NXDOMAIN, NULL, 0);
		else if (h % 11 == 5)
			cb(ctx, SPF_DNS_TEMPFAIL, NULL, 0);
		else
			cb(ctx, SPF_DNS_OK, (const char *const *)fd->records, fd->n);
		break;
	case SPF_RR_A:
		cb(ctx, SPF_DNS_OK, a, h % 3);
		break;
	case SPF_RR_AAAA:
		cb(ctx, SPF_DNS_OK, aaaa, h % 2);
		break;
	case SPF_RR_MX:
	case SPF_RR_PTR:
		/* the input's lines as names: many, long, odd ones */
		cb(ctx, SPF_DNS_OK, (const char *const *)fd->records, fd->n);
		break;
	}
}

static void *
fuzz_lookup(void *rctx, enum spf_rr type, const char *name, spf_dns_answer_cb *cb, void *ctx)
{
	struct fuzz_dns *fd = rctx;

	fd->lookups++;
	if (fd->lookups > SPF_MAX_QUERIES)
		abort();
	if (!fd->async) {
		fuzz_answer(fd, type, name, cb, ctx);
		return NULL;
	}
	if (fd->cb != NULL)
		abort(); /* two lookups at once */
	fd->cb = cb;
	fd->ctx = ctx;
	fd->type = type;
	fd->name = xstrdup(name);
	return fd;
}

static void
fuzz_cancel(void *rctx, void *handle)
{
	abort();
}

static void
fuzz_done(void *ctx, enum spf_result result, const char *exp, const char *problem)
{
	struct fuzz_result *r = ctx;

	r->calls++;
	r->result = result;
	if (exp != NULL && result != SPF_RESULT_FAIL)
		abort();
}

static enum spf_result
fuzz_run(struct fuzz_dns *fd, const char *ip)
{
	struct spf_resolver res = {fuzz_lookup, fuzz_cancel, fd};
	struct spf_check_params p = {
		.ip = ip,
		.mailfrom = "user@example.com",
		.helo = "mx.example.org",
		.receiver = "mx.example.net",
		.now = 1,
	};
	struct fuzz_result r = {0, SPF_RESULT_NONE};

	fd->lookups = 0;
	(void)spf_check_start(&res, &p, fuzz_done, &r);
	while (fd->async && fd->cb != NULL) {
		spf_dns_answer_cb *cb = fd->cb;
		char *name = fd->name;
		fd->cb = NULL;
		fd->name = NULL;
		fuzz_answer(fd, fd->type, name, cb, fd->ctx);
		free(name);
	}
	if (r.calls != 1)
		abort();
	return r.result;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_dns fd;
	char *text = xstrndup((const char *)data, size);
	const char *ip = size > 0 && (data[0] & 1) ? "2001:db8::1" : "192.0.2.1";
	enum spf_result sync;

	memset(&fd, 0, sizeof(fd));
	fd.records = str_split(text, '\n');
	fd.n = str_array_len(fd.records);
	sync = fuzz_run(&fd, ip);
	fd.async = true;
	if (fuzz_run(&fd, ip) != sync)
		abort();
	str_array_free(&fd.records);
	free(text);
	return 0;
}
