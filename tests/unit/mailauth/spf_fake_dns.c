/* Fake DNS for the SPF tests. See spf_fake_dns.h. */
#include "spf_fake_dns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct spf_fake_rr {
	char *name; /* lowercase, no trailing dot */
	char type[8];
	char *value; /* NULL for TIMEOUT */
};

struct spf_fake_answer {
	struct spf_fake_answer *next;
	spf_dns_answer_cb *cb;
	void *ctx;
	enum spf_dns_status status;
	char **rrs;
	size_t n;
	bool cancelled;
};

struct spf_fake_dns {
	struct spf_fake_rr *rrs;
	size_t n, cap;
	bool async;
	unsigned lookups;
	struct spf_fake_answer *queue, **tail;
};

struct spf_fake_dns *
spf_fake_dns_new(void)
{
	struct spf_fake_dns *fd = xcalloc(1, sizeof(*fd));

	fd->tail = &fd->queue;
	return fd;
}

static void
spf_fake_answer_free(struct spf_fake_answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->rrs[i]);
	free(a->rrs);
	free(a);
}

void
spf_fake_dns_free(struct spf_fake_dns **fdp)
{
	struct spf_fake_dns *fd = *fdp;
	size_t i;

	if (fd == NULL)
		return;
	*fdp = NULL;
	while (fd->queue != NULL) {
		struct spf_fake_answer *a = fd->queue;
		fd->queue = a->next;
		spf_fake_answer_free(a);
	}
	for (i = 0; i < fd->n; i++) {
		free(fd->rrs[i].name);
		free(fd->rrs[i].value);
	}
	free(fd->rrs);
	free(fd);
}

/* Zone file names may hold "\xHH" escapes (a space, say). */
static char *
spf_fake_name(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (len > 0 && s[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		char h[3];
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x') {
			h[0] = s[i + 2];
			h[1] = s[i + 3];
			h[2] = '\0';
			buf_appendc(&b, (char)strtoul(h, NULL, 16));
			i += 3;
		} else {
			buf_appendc(&b, s[i]);
		}
	}
	buf_appendc(&b, '\0');
	str_lower(b.data);
	return buf_steal(&b);
}

static int
spf_fake_unhex(const char *s, size_t len, struct buf *out)
{
	size_t i;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len; i += 2) {
		unsigned v;
		char h[3] = {s[i], s[i + 1], '\0'};
		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]))
			return -1;
		v = (unsigned)strtoul(h, NULL, 16);
		buf_appendc(out, (char)v);
	}
	return 0;
}

int
spf_fake_dns_add(struct spf_fake_dns *fd, const char *line)
{
	struct spf_fake_rr rr;
	char **w = str_split(line, ' ');
	size_t n = str_array_len(w), i;
	int ret = -1;

	memset(&rr, 0, sizeof(rr));
	if (n < 2 || strlen(w[1]) >= sizeof(rr.type))
		goto out;
	rr.name = spf_fake_name(w[0], strlen(w[0]));
	strcpy(rr.type, w[1]);
	if (strcmp(rr.type, "TXT") == 0) {
		struct buf txt = BUF_INIT;
		for (i = 2; i < n; i++) {
			if (spf_fake_unhex(w[i], strlen(w[i]), &txt) < 0) {
				buf_free(&txt);
				free(rr.name);
				goto out;
			}
		}
		/* as spf_resolver.h says: a NUL octet is given as 0x7f */
		for (i = 0; i < txt.len; i++) {
			if (txt.data[i] == '\0')
				txt.data[i] = 0x7f;
		}
		buf_appendc(&txt, '\0'); /* an empty record still has a value */
		rr.value = buf_steal(&txt);
	} else if (strcmp(rr.type, "TIMEOUT") != 0) {
		if (n != 3) {
			free(rr.name);
			goto out;
		}
		rr.value = xstrdup(w[2]);
	}
	fd->rrs = xgrow(fd->rrs, &fd->cap, fd->n + 1, sizeof(*fd->rrs));
	fd->rrs[fd->n++] = rr;
	ret = 0;
out:
	str_array_free(&w);
	return ret;
}

int
spf_fake_dns_load(struct spf_fake_dns *fd, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (spf_fake_dns_add(fd, line) < 0)
			ret = -1;
	}
	free(line);
	fclose(f);
	return ret;
}

void
spf_fake_dns_set_async(struct spf_fake_dns *fd, bool async)
{
	fd->async = async;
}

static const char *const spf_fake_types[] = {
	[SPF_RR_TXT] = "TXT", [SPF_RR_A] = "A",     [SPF_RR_AAAA] = "AAAA",
	[SPF_RR_MX] = "MX",   [SPF_RR_PTR] = "PTR",
};

/* testspf.py's DNSLookup: labels over 63 octets time out, empty labels are dropped */
static char *
spf_fake_normalise(const char *name, bool *too_long)
{
	struct buf b = BUF_INIT;
	const char *p = name;

	*too_long = false;
	while (*p != '\0') {
		size_t len = strcspn(p, ".");
		if (len > 63)
			*too_long = true;
		if (len > 0) {
			if (b.len > 0)
				buf_appendc(&b, '.');
			buf_append(&b, p, len);
		}
		p += len;
		if (*p == '.')
			p++;
	}
	buf_appendc(&b, '\0');
	str_lower(b.data);
	return buf_steal(&b);
}

static enum spf_dns_status
spf_fake_resolve(struct spf_fake_dns *fd, const char *type, const char *qname, int depth,
		 struct spf_fake_answer *a)
{
	bool too_long, exists = false, seen_type = false;
	char *name = spf_fake_normalise(qname, &too_long);
	enum spf_dns_status st = SPF_DNS_NODATA;
	size_t i, cap = 0;

	if (too_long) {
		free(name);
		return SPF_DNS_TEMPFAIL;
	}
	for (i = 0; i < fd->n; i++) {
		struct spf_fake_rr *rr = &fd->rrs[i];
		if (strcmp(rr->name, name) != 0)
			continue;
		exists = true;
		if (strcmp(rr->type, "TIMEOUT") == 0) {
			if (!seen_type)
				st = SPF_DNS_TEMPFAIL;
			break;
		}
		if (strcmp(rr->type, "CNAME") == 0 && strcmp(type, "CNAME") != 0) {
			if (depth >= 8) {
				st = SPF_DNS_TEMPFAIL;
				break;
			}
			st = spf_fake_resolve(fd, type, rr->value, depth + 1, a);
			seen_type = st == SPF_DNS_OK;
			if (st == SPF_DNS_NXDOMAIN)
				st = SPF_DNS_NODATA;
			continue;
		}
		if (strcmp(rr->type, type) != 0)
			continue;
		seen_type = true;
		st = SPF_DNS_OK;
		a->rrs = xgrow(a->rrs, &cap, a->n + 1, sizeof(*a->rrs));
		a->rrs[a->n++] = xstrdup(rr->value);
	}
	if (!exists)
		st = str_casepfx(name, "error.") ? SPF_DNS_TEMPFAIL : SPF_DNS_NXDOMAIN;
	free(name);
	return st;
}

static void *
spf_fake_lookup(void *rctx, enum spf_rr type, const char *name, spf_dns_answer_cb *cb, void *cb_ctx)
{
	struct spf_fake_dns *fd = rctx;
	struct spf_fake_answer *a = xcalloc(1, sizeof(*a));

	fd->lookups++;
	a->cb = cb;
	a->ctx = cb_ctx;
	a->status = spf_fake_resolve(fd, spf_fake_types[type], name, 0, a);
	if (a->status != SPF_DNS_OK) {
		size_t i;
		for (i = 0; i < a->n; i++)
			free(a->rrs[i]);
		a->n = 0;
	}
	if (fd->async) {
		*fd->tail = a;
		fd->tail = &a->next;
		return a;
	}
	cb(cb_ctx, a->status, (const char *const *)a->rrs, a->n);
	spf_fake_answer_free(a);
	return NULL;
}

static void
spf_fake_cancel(void *rctx, void *handle)
{
	struct spf_fake_answer *a = handle;

	a->cancelled = true;
}

bool
spf_fake_dns_pump(struct spf_fake_dns *fd)
{
	struct spf_fake_answer *a = fd->queue;

	if (a == NULL)
		return false;
	fd->queue = a->next;
	if (fd->queue == NULL)
		fd->tail = &fd->queue;
	if (!a->cancelled)
		a->cb(a->ctx, a->status, (const char *const *)a->rrs, a->n);
	spf_fake_answer_free(a);
	return true;
}

unsigned
spf_fake_dns_lookups(const struct spf_fake_dns *fd)
{
	return fd->lookups;
}

unsigned
spf_fake_dns_queued(const struct spf_fake_dns *fd)
{
	const struct spf_fake_answer *a;
	unsigned n = 0;

	for (a = fd->queue; a != NULL; a = a->next)
		n++;
	return n;
}

struct spf_resolver
spf_fake_dns_resolver(struct spf_fake_dns *fd)
{
	struct spf_resolver r = {spf_fake_lookup, spf_fake_cancel, fd};

	return r;
}
