/* ARC sealer, RFC 8617 5.1: the AAR from our Authentication-Results, the AMS as a DKIM
 * signature of another name (dkim_sign_finish_ams), the AS over the sets (5.1.1.3). */
#include "mailauth/arc_seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rfc5322.h"
#include "mailauth/authres.h"
#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_headers.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct arc_seal {
	time_t now;
	struct dkim_sign *sign;
};

struct arc_seal *
arc_seal_new(time_t now)
{
	struct arc_seal *s = xcalloc(1, sizeof(*s));

	s->now = now;
	s->sign = dkim_sign_new(now);
	return s;
}

void
arc_seal_free(struct arc_seal **sp)
{
	if (*sp == NULL)
		return;
	dkim_sign_free(&(*sp)->sign);
	free(*sp);
	*sp = NULL;
}

void
arc_seal_body(struct arc_seal *s, const char *data, size_t len)
{
	dkim_sign_body(s->sign, data, len);
}

/* "ARC-Authentication-Results: i=k; <authserv-id>; <results>" (4.1.1) from our AR field
 * or its value, whose folding (CRLF + WSP) it keeps. */
static void
build_aar(struct buf *out, unsigned k, const char *ar, size_t len)
{
	static const char name[] = "Authentication-Results:";
	size_t nl = sizeof(name) - 1;

	if (len >= nl && str_ncasecmp(ar, name, nl) == 0) {
		ar += nl;
		len -= nl;
	}
	while (len > 0 && (ar[0] == ' ' || ar[0] == '\t' || ar[0] == '\r' || ar[0] == '\n')) {
		ar++;
		len--;
	}
	while (len > 0 && (ar[len - 1] == '\r' || ar[len - 1] == '\n' || ar[len - 1] == ' ' ||
			   ar[len - 1] == '\t'))
		len--;
	buf_printf(out, "ARC-Authentication-Results: i=%u; ", k);
	buf_append(out, ar, len);
	buf_append(out, "\r\n", 2);
}

/* The ARC-Seal of set k over data (sets before it, then the new AAR and AMS), 4.1.3. */
static int
build_seal(const struct dkim_sign_key *key, time_t now, unsigned k, enum arc_cv cv,
	   struct buf *data, struct buf *out)
{
	struct buf field = BUF_INIT;
	struct dkim_folder fo = {&field, 0};
	char *t;
	int ret;

	t = xasprintf("ARC-Seal: i=%u;", k);
	dkim_fold_add(&fo, t, strlen(t), false);
	free(t);
	t = xasprintf("a=%s;", dkim_alg_name(key->alg));
	dkim_fold_add(&fo, t, strlen(t), true);
	free(t);
	t = xasprintf("t=%lld;", (long long)now);
	dkim_fold_add(&fo, t, strlen(t), true);
	free(t);
	t = xasprintf("cv=%s;", arc_cv_name(cv));
	dkim_fold_add(&fo, t, strlen(t), true);
	free(t);
	t = xasprintf("d=%s;", key->domain);
	dkim_fold_add(&fo, t, strlen(t), true);
	free(t);
	t = xasprintf("s=%s;", key->selector);
	dkim_fold_add(&fo, t, strlen(t), true);
	free(t);
	dkim_fold_add(&fo, "b=", 2, true);
	ret = dkim_sign_complete(key, data, &fo, out);
	buf_free(&field);
	return ret;
}

/* Why the chain as it is cannot get a set with this cv, or NULL. */
static const char *
check_chain(const struct arc_chain *c, const struct dkim_fields *fs, enum arc_cv cv)
{
	const struct arc_set *last = &c->sets[c->n];
	enum arc_cv last_cv;

	/* 5.1 step 1: a chain whose latest seal says cv=fail is over */
	if (c->n > 0 && last->field[ARC_AS] != SIZE_MAX &&
	    arc_parse_cv(fs->f[last->field[ARC_AS]].value, fs->f[last->field[ARC_AS]].value_len,
			 &last_cv) == 0 &&
	    last_cv == ARC_CV_FAIL)
		return "the chain already ended with cv=fail";
	if (c->n >= ARC_MAX_SETS)
		return "the message already has 50 ARC sets";
	if (c->status == ARC_CV_NONE && cv != ARC_CV_NONE)
		return "cv pass/fail for a message without ARC sets";
	if (c->status != ARC_CV_NONE && cv == ARC_CV_NONE)
		return "cv=none for a message with ARC sets";
	if (c->status == ARC_CV_FAIL && cv == ARC_CV_PASS)
		return "cv=pass for a broken chain";
	return NULL;
}

int
arc_seal_finish(struct arc_seal *s, const struct dkim_sign_key *key, enum arc_cv cv, const char *ar,
		size_t ar_len, const char *hdr, size_t hdr_len, struct buf *out,
		const char **error_r)
{
	struct arc_chain *c = xcalloc(1, sizeof(*c));
	struct dkim_fields fs;
	struct buf aar = BUF_INIT, ams = BUF_INIT, as = BUF_INIT, data = BUF_INIT;
	unsigned k;
	int ret = -1;

	dkim_fields_parse(&fs, hdr, hdr_len);
	arc_chain_parse(c, &fs);
	if ((*error_r = check_chain(c, &fs, cv)) != NULL)
		goto out;
	/* RFC 8617 names rsa-sha256 only, and validators (dkimpy 1.1) know nothing else: an
	 * Ed25519 seal would be a failed chain downstream */
	if (key->alg != DKIM_ALG_RSA_SHA256) {
		*error_r = "ARC seals need an RSA key (rsa-sha256)";
		goto out;
	}
	/* 5.1 step 2: one more than the highest instance there */
	k = c->n + 1;
	build_aar(&aar, k, ar, ar_len);
	if (dkim_sign_finish_ams(s->sign, key, k, hdr, hdr_len, &ams, error_r) < 0)
		goto out;
	/* 5.1.1.3: the sets in order; 5.1.2: with cv=fail only the new set */
	if (cv != ARC_CV_FAIL)
		arc_chain_sets_data(c, &fs, c->n, &data);
	dkim_canon_header(&data, DKIM_CANON_RELAXED, aar.data, aar.len);
	dkim_canon_header(&data, DKIM_CANON_RELAXED, ams.data, ams.len);
	if (build_seal(key, s->now, k, cv, &data, &as) < 0) {
		*error_r = "signing failed";
		goto out;
	}
	buf_append(out, as.data, as.len);
	buf_append(out, ams.data, ams.len);
	buf_append(out, aar.data, aar.len);
	ret = 0;
out:
	arc_chain_clear(c);
	free(c);
	dkim_fields_free(&fs);
	buf_free(&aar);
	buf_free(&ams);
	buf_free(&as);
	buf_free(&data);
	return ret;
}

const struct dkim_sign_key *
arc_seal_key(const struct dkim_sign_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i].alg == DKIM_ALG_RSA_SHA256)
			return &keys[i];
	return NULL;
}

/* Skips WSP, line ends and (nested) comments. */
static const char *
skip_cfws(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && depth > 0 && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

int
arc_authres_cv(const char *value, size_t len, enum arc_cv *cv_r)
{
	const char *p = value, *end = value + len;
	bool quoted = false;
	int depth = 0;

	/* RFC 8601 2.2: resinfo = [CFWS] ";" methodspec ...: look at what follows each ';'
	 * outside quoted-strings and comments */
	for (; p < end; p++) {
		const char *m, *r;

		if (*p == '\\' && (quoted || depth > 0)) {
			p++;
			continue;
		}
		if (*p == '"' && depth == 0)
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')' && depth > 0)
			depth--;
		if (quoted || depth > 0 || *p != ';')
			continue;
		m = skip_cfws(p + 1, end);
		if (end - m < 3 || str_ncasecmp(m, "arc", 3) != 0)
			continue;
		m = skip_cfws(m + 3, end);
		if (m == end || *m != '=')
			continue;
		r = skip_cfws(m + 1, end);
		for (m = r; m < end && ((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z'));)
			m++;
		if (m - r == 4 && str_ncasecmp(r, "none", 4) == 0)
			*cv_r = ARC_CV_NONE;
		else if (m - r == 4 && str_ncasecmp(r, "pass", 4) == 0)
			*cv_r = ARC_CV_PASS;
		else if (m - r == 4 && str_ncasecmp(r, "fail", 4) == 0)
			*cv_r = ARC_CV_FAIL;
		else
			continue;
		return 0;
	}
	return -1;
}

int
arc_seal_message(const struct dkim_sign_key *key, const char *our_id, const char *msg, size_t len,
		 time_t now, struct buf *out, const char **error_r)
{
	size_t hsize = rfc5322_header_size(msg, len);
	struct rfc5322_field ar;
	struct arc_seal *s;
	enum arc_cv cv;
	int ret;

	if (authres_find_ours(msg, hsize, our_id, &ar, 1) == 0) {
		*error_r = "no Authentication-Results of ours";
		return -1;
	}
	if (arc_authres_cv(ar.value, ar.value_len, &cv) < 0) {
		*error_r = "no arc= result in our Authentication-Results";
		return -1;
	}
	s = arc_seal_new(now);
	arc_seal_body(s, msg + hsize, len - hsize);
	ret = arc_seal_finish(s, key, cv, ar.value, ar.value_len, msg, hsize, out, error_r);
	arc_seal_free(&s);
	return ret;
}
