/* DKIM canonicalization (RFC 6376 3.4): header fields (simple, relaxed) and a streaming
 * body hasher that is fed the body in chunks as it arrives and never keeps it. */
#ifndef MAILAUTH_DKIM_CANON_H
#define MAILAUTH_DKIM_CANON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mailauth/dkim_sig.h"
#include "util/buf.h"

/* Appends the canonical form of one header field. raw is the whole field as it appears in
 * the message (name, ':', value, all its lines, the final CRLF included). simple: raw
 * unchanged (RFC 6376 3.4.1); relaxed (3.4.2): name lower-cased, unfolded, WSP runs to one
 * SP, WSP around ':' and at the end removed, ended by CRLF. */
void dkim_canon_header(struct buf *out, enum dkim_canon c, const char *raw, size_t len);

/* Streaming body canonicalizer + hash (RFC 6376 3.4.3, 3.4.4, 3.7). Input lines end in
 * CRLF (a bare LF is taken as a line end too); chunks may split anywhere, even a CRLF. */
struct dkim_body_hash {
	enum dkim_canon canon;
	EVP_MD_CTX *md;
	bool limited; /* l= given: hash only the first limit canonical bytes */
	uint64_t limit;
	uint64_t hashed;         /* canonical bytes hashed so far */
	uint64_t total;          /* canonical length of the whole body (beyond l= too) */
	uint64_t pending_crlf;   /* empty lines not yet emitted: dropped if the body ends */
	bool pending_wsp;        /* relaxed: a WSP run not yet emitted */
	bool saw_cr;             /* the previous chunk ended in CR */
	bool line_has_data;      /* the current line has canonical content */
	bool any_data;           /* some non-empty line was emitted */
	unsigned char out[4096]; /* canonical bytes waiting for EVP_DigestUpdate */
	size_t out_len;
};

/* md: EVP_sha256() or EVP_sha1(). limit < 0: no l=. */
void dkim_body_hash_init(struct dkim_body_hash *bh, enum dkim_canon c, const EVP_MD *md,
			 bool limited, uint64_t limit);
void dkim_body_hash_update(struct dkim_body_hash *bh, const char *data, size_t len);
/* Ends the body; writes the digest to digest (EVP_MAX_MD_SIZE) and its size to *len_r. */
void dkim_body_hash_final(struct dkim_body_hash *bh, unsigned char *digest, unsigned *len_r);
void dkim_body_hash_clear(struct dkim_body_hash *bh);

#endif
