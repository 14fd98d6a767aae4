/* DKIM signer, RFC 6376 5 (relaxed/relaxed only: it survives the re-folding and
 * whitespace changes relays do) and RFC 8463 for Ed25519. */
#include "mailauth/dkim_sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/dkim_headers.h"
#include "util/base64.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define FOLD_COLUMNS 78

/* RFC 6376 5.4.1's list of fields that SHOULD be signed, plus the ones whose change
 * alters how the message is shown (Message-ID, MIME). */
static const char *const sign_fields[] = {
	"from",
	"reply-to",
	"subject",
	"date",
	"to",
	"cc",
	"resent-date",
	"resent-from",
	"resent-sender",
	"resent-to",
	"resent-cc",
	"in-reply-to",
	"references",
	"list-id",
	"list-help",
	"list-unsubscribe",
	"list-subscribe",
	"list-post",
	"list-owner",
	"list-archive",
	"message-id",
	"mime-version",
	"content-type",
	"content-transfer-encoding",
};
/* Signed once more than they occur (RFC 6376 8.15): nobody can add one. */
static const char *const oversign_fields[] = {"from", "to", "subject", "date"};

struct dkim_sign {
	time_t now;
	struct dkim_body_hash body;
};

int
dkim_sign_key_load(struct dkim_sign_key *key, const char *pem_path, const char *domain,
		   const char *selector, const char **error_r)
{
	FILE *f = fopen(pem_path, "r");

	memset(key, 0, sizeof(*key));
	if (f == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	key->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key->pkey == NULL) {
		*error_r = "not a PEM private key";
		return -1;
	}
	switch (EVP_PKEY_get_base_id(key->pkey)) {
	case EVP_PKEY_RSA:
		key->alg = DKIM_ALG_RSA_SHA256;
		if (EVP_PKEY_get_bits(key->pkey) < 1024) {
			*error_r = "RSA key shorter than 1024 bits";
			goto fail;
		}
		break;
	case EVP_PKEY_ED25519:
		key->alg = DKIM_ALG_ED25519_SHA256;
		break;
	default:
		*error_r = "key is neither RSA nor Ed25519";
		goto fail;
	}
	key->domain = xstrdup(domain);
	str_lower(key->domain);
	key->selector = xstrdup(selector);
	return 0;
fail:
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
	return -1;
}

void
dkim_sign_key_clear(struct dkim_sign_key *key)
{
	EVP_PKEY_free(key->pkey);
	free(key->domain);
	free(key->selector);
	memset(key, 0, sizeof(*key));
}

void
dkim_sign_key_record(const struct dkim_sign_key *key, struct buf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t raw_len = sizeof(raw);
	int der_len;

	if (key->alg == DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 4.2: p= is the bare 32-byte public key */
		EVP_PKEY_get_raw_public_key(key->pkey, raw, &raw_len);
		buf_appends(out, "v=DKIM1; k=ed25519; p=");
		base64_encode(out, raw, raw_len);
		return;
	}
	der_len = i2d_PUBKEY(key->pkey, &der);
	buf_appends(out, "v=DKIM1; k=rsa; p=");
	if (der_len > 0)
		base64_encode(out, der, (size_t)der_len);
	OPENSSL_free(der);
}

struct dkim_sign *
dkim_sign_new(time_t now)
{
	struct dkim_sign *s = xcalloc(1, sizeof(*s));

	s->now = now;
	/* both algorithms hash with SHA-256 and sign relaxed: one body hash serves all */
	dkim_body_hash_init(&s->body, DKIM_CANON_RELAXED, EVP_sha256(), false, 0);
	return s;
}

void
dkim_sign_free(struct dkim_sign **sp)
{
	if (*sp == NULL)
		return;
	dkim_body_hash_clear(&(*sp)->body);
	free(*sp);
	*sp = NULL;
}

void
dkim_sign_body(struct dkim_sign *s, const char *data, size_t len)
{
	dkim_body_hash_update(&s->body, data, len);
}

static size_t
count_fields(const struct dkim_fields *fs, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < fs->count; i++)
		n += dkim_field_is(&fs->f[i], name);
	return n;
}

static bool
is_oversigned(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(oversign_fields) / sizeof(oversign_fields[0]); i++)
		if (strcmp(name, oversign_fields[i]) == 0)
			return true;
	return false;
}

/* The h= list: every present instance of each recommended field, plus one more of the
 * oversigned ones (RFC 6376 5.4.2: the extra name selects the null string). */
static size_t
header_list(const struct dkim_fields *fs, bool with_dkim, const char ***names_r)
{
	const char **names = NULL;
	size_t i, k, n = 0, cap = 0;

	/* RFC 8617 4.1.2: the AMS SHOULD sign the DKIM-Signature fields present */
	for (k = with_dkim ? count_fields(fs, "dkim-signature") : 0; k > 0; k--) {
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = "dkim-signature";
	}

	for (i = 0; i < sizeof(sign_fields) / sizeof(sign_fields[0]); i++) {
		size_t count = count_fields(fs, sign_fields[i]) + is_oversigned(sign_fields[i]);

		for (k = 0; k < count; k++) {
			names = xgrow(names, &cap, n + 1, sizeof(*names));
			names[n++] = sign_fields[i];
		}
	}
	*names_r = names;
	return n;
}

void
dkim_fold_add(struct dkim_folder *fo, const char *tok, size_t len, bool space)
{
	if (fo->col + (space ? 1 : 0) + len > FOLD_COLUMNS && fo->col > 1) {
		buf_append(fo->out, "\r\n ", 3);
		fo->col = 1;
	} else if (space) {
		buf_appendc(fo->out, ' ');
		fo->col++;
	}
	buf_append(fo->out, tok, len);
	fo->col += len;
}

static void
fold_tag(struct dkim_folder *fo, const char *tag)
{
	dkim_fold_add(fo, tag, strlen(tag), true);
}

/* The field up to and including "b=", folded; what gets signed (with b= empty). */
static void
build_unsigned(struct dkim_folder *fo, const char *head, const struct dkim_sign_key *key,
	       time_t now, const char *const *names, size_t n, const char *bh)
{
	char *t;
	size_t i;

	buf_appends(fo->out, head);
	fo->col = strlen(head);
	t = xasprintf("a=%s;", dkim_alg_name(key->alg));
	fold_tag(fo, t);
	free(t);
	fold_tag(fo, "c=relaxed/relaxed;");
	t = xasprintf("d=%s;", key->domain);
	fold_tag(fo, t);
	free(t);
	t = xasprintf("s=%s;", key->selector);
	fold_tag(fo, t);
	free(t);
	t = xasprintf("t=%lld;", (long long)now);
	fold_tag(fo, t);
	free(t);
	/* h= folds only at its colons: FWS is allowed around them (RFC 6376 3.5) */
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", i == 0 ? "h=" : "", names[i], i + 1 < n ? ":" : ";");
		dkim_fold_add(fo, t, strlen(t), i == 0);
		free(t);
	}
	t = xasprintf("bh=%s;", bh);
	fold_tag(fo, t);
	free(t);
	fold_tag(fo, "b=");
}

/* RSA: PKCS#1 v1.5 with SHA-256 over the data; Ed25519: PureEdDSA over SHA-256 of the
 * data (RFC 8463 3). */
static int
sign_data(const struct dkim_sign_key *key, const struct buf *data, struct buf *sig)
{
	unsigned char digest[EVP_MAX_MD_SIZE], *out;
	unsigned dlen;
	size_t slen = 0;
	int ok;

	if (EVP_Digest(data->data, data->len, digest, &dlen, EVP_sha256(), NULL) != 1)
		return -1;
	if (key->alg == DKIM_ALG_ED25519_SHA256) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		ok = EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) == 1 &&
		     EVP_DigestSign(md, NULL, &slen, digest, dlen) == 1;
		if (ok) {
			buf_reserve(sig, slen);
			out = (unsigned char *)sig->data;
			ok = EVP_DigestSign(md, out, &slen, digest, dlen) == 1;
		}
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);

		ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(ctx, NULL, &slen, digest, dlen) == 1;
		if (ok) {
			buf_reserve(sig, slen);
			out = (unsigned char *)sig->data;
			ok = EVP_PKEY_sign(ctx, out, &slen, digest, dlen) == 1;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok)
		return -1;
	sig->len = slen;
	return 0;
}

int
dkim_sign_complete(const struct dkim_sign_key *key, struct buf *data, struct dkim_folder *fo,
		   struct buf *out)
{
	struct buf *field = fo->out, sig = BUF_INIT, b64 = BUF_INIT;
	size_t i;
	int ret = -1;

	buf_append(field, "\r\n", 2);
	if (dkim_headers_sig_field(data, DKIM_CANON_RELAXED, field->data, field->len) < 0)
		goto out;
	buf_truncate(field, field->len - 2);
	if (sign_data(key, data, &sig) < 0)
		goto out;
	base64_encode(&b64, sig.data, sig.len);
	/* the b= value folds anywhere: its FWS is removed before decoding */
	for (i = 0; i < b64.len;) {
		size_t room = fo->col < FOLD_COLUMNS ? FOLD_COLUMNS - fo->col : 0, take;

		if (room == 0) {
			buf_append(field, "\r\n ", 3);
			fo->col = 1;
			continue;
		}
		take = b64.len - i < room ? b64.len - i : room;
		buf_append(field, b64.data + i, take);
		fo->col += take;
		i += take;
	}
	buf_append(field, "\r\n", 2);
	buf_append(out, field->data, field->len);
	ret = 0;
out:
	buf_free(&sig);
	buf_free(&b64);
	return ret;
}

static int
sign_one(const char *head, const struct dkim_sign_key *key, time_t now,
	 const struct dkim_fields *fs, const char *const *names, size_t n, const char *bh,
	 struct buf *out)
{
	struct buf field = BUF_INIT, data = BUF_INIT;
	struct dkim_folder fo = {&field, 0};
	int ret;

	build_unsigned(&fo, head, key, now, names, n, bh);
	dkim_headers_select(&data, DKIM_CANON_RELAXED, fs, (char *const *)names, n, SIZE_MAX);
	ret = dkim_sign_complete(key, &data, &fo, out);
	buf_free(&field);
	buf_free(&data);
	return ret;
}

static int
finish(struct dkim_sign *s, const struct dkim_sign_key *keys, size_t n_keys, const char *head,
       bool with_dkim, const char *hdr, size_t hdr_len, struct buf *out, const char **error_r)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	struct dkim_fields fs;
	struct buf bh = BUF_INIT;
	const char **names = NULL;
	size_t n, i;
	int ret = 0;

	dkim_body_hash_final(&s->body, digest, &dlen);
	base64_encode(&bh, digest, dlen);
	dkim_fields_parse(&fs, hdr, hdr_len);
	if (count_fields(&fs, "from") == 0) {
		*error_r = "no From field to sign";
		ret = -1;
		goto out;
	}
	n = header_list(&fs, with_dkim, &names);
	for (i = 0; i < n_keys && ret == 0; i++) {
		if (sign_one(head, &keys[i], s->now, &fs, names, n, buf_cstr(&bh), out) < 0) {
			*error_r = "signing failed";
			ret = -1;
		}
	}
out:
	free(names);
	dkim_fields_free(&fs);
	buf_free(&bh);
	return ret;
}

int
dkim_sign_finish(struct dkim_sign *s, const struct dkim_sign_key *keys, size_t n_keys,
		 const char *hdr, size_t hdr_len, struct buf *out, const char **error_r)
{
	return finish(s, keys, n_keys, "DKIM-Signature: v=1;", false, hdr, hdr_len, out, error_r);
}

int
dkim_sign_finish_ams(struct dkim_sign *s, const struct dkim_sign_key *key, unsigned instance,
		     const char *hdr, size_t hdr_len, struct buf *out, const char **error_r)
{
	char head[48];

	snprintf(head, sizeof(head), "ARC-Message-Signature: i=%u;", instance);
	return finish(s, key, 1, head, true, hdr, hdr_len, out, error_r);
}
