/* ARC chain validation (RFC 8617 5.2), shaped like dkim_verify for an asynchronous caller
 * and without any DNS or I/O of its own. The SMTP session drives it next to DKIM:
 *
 *   struct dkim_verify_policy pol;  dkim_verify_policy_default(&pol);   (RSA sizes...)
 *   v = arc_verify_new(&pol, time(NULL));
 *   arc_verify_header(v, hdr, hdr_len);        at the end of the header (the digests of
 *                                              every AMS and AS are taken here: the header
 *                                              need not be kept)
 *   for i < arc_verify_key_count(v):           look up TXT arc_verify_key_name(v, i)
 *       arc_verify_key_answer(v, i, ...);      ("s._domainkey.d", the same records as
 *                                              DKIM's) whenever each answer arrives
 *   arc_verify_body(v, chunk, len);            as the body streams in (any order with the
 *   ...                                        key answers; hashed, never stored)
 *   arc_verify_finish(v);                      at the end of data
 *   r = arc_verify_result(v);                  r->cv: none / pass / fail
 *   arc_verify_authres(v, &builder, ip);       "arc=pass (...) header.oldest-pass=0
 *                                              smtp.remote-ip=192.0.2.1 arc.chain=..."
 *   ... arc_seal_*() with r->cv when the message is forwarded (arc_seal.h)
 *   arc_verify_free(&v);
 *
 * Example, in the SMTP session (the lookups as for DKIM, e.g. through spf_dns's TXT lookup):
 *
 *   at end of header:  s->arc = arc_verify_new(&pol, now);
 *                      arc_verify_header(s->arc, hdr, len);
 *                      for (i = 0; i < arc_verify_key_count(s->arc); i++)
 *                              txt_lookup(arc_verify_key_name(s->arc, i), on_arc_key, s, i);
 *   on_arc_key:        arc_verify_key_answer(s->arc, i, DKIM_DNS_OK, txts, lens, n);
 *   each body chunk:   arc_verify_body(s->arc, chunk, len);
 *   end of data:       arc_verify_finish(s->arc);
 *                      arc_verify_authres(s->arc, &ar, client_ip);    (after dkim=, dmarc=)
 *
 * Input uses CRLF line ends (a bare LF is taken as a line end). */
#ifndef MAILAUTH_ARC_VERIFY_H
#define MAILAUTH_ARC_VERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mailauth/arc_chain.h"
#include "mailauth/authres.h"
#include "mailauth/dkim_verify.h"

struct arc_result {
	enum arc_cv cv;
	char reason[128];     /* why, for the comment and the log */
	unsigned n_sets;      /* N: the highest instance on the message (0: no chain) */
	unsigned oldest_pass; /* 5.2 step 5, when cv is pass: the lowest instance from which
				 every AMS up to N verifies, 0 if all of them do */
	bool tempfail;        /* cv fail only because a key lookup failed (DNS timeout...):
				 no verdict on the chain; a forwarder should not seal cv=fail
				 on it (retry later instead) */
};

struct arc_verify;

struct arc_verify *arc_verify_new(const struct dkim_verify_policy *policy, time_t now);
void arc_verify_free(struct arc_verify **v);

/* The message's header, up to (optionally including) the empty line. Call once. Returns
 * N, the number of ARC sets (0: none). */
unsigned arc_verify_header(struct arc_verify *v, const char *hdr, size_t len);

/* Key records to look up: distinct (d=, s=) pairs of the AMSs and ASs; none when the
 * structure already decided the chain (no sets, a broken chain). */
size_t arc_verify_key_count(const struct arc_verify *v);
const char *arc_verify_key_name(const struct arc_verify *v, size_t i);
void arc_verify_key_answer(struct arc_verify *v, size_t i, enum dkim_dns_rcode rc,
			   const char *const *txt, const size_t *txt_len, size_t n);

void arc_verify_body(struct arc_verify *v, const char *data, size_t len);
/* Ends the body and validates the chain. A key never answered is a tempfail. */
void arc_verify_finish(struct arc_verify *v);
const struct arc_result *arc_verify_result(const struct arc_verify *v);

/* The parsed seal and AMS of set k (1..N), NULL if absent or unparsable: d=, s= for the
 * Authentication-Results comment and the log. */
const struct dkim_sig *arc_verify_seal(const struct arc_verify *v, unsigned k);
const struct dkim_sig *arc_verify_ams(const struct arc_verify *v, unsigned k);

/* Adds the arc method to an Authentication-Results field being built (RFC 8617 10.1,
 * RFC 8601): "arc=<cv>", a comment "(as.N.d=... as.N.s=... ... as.1.s=...)" when there
 * are sets, "header.oldest-pass=K" when it passed, "smtp.remote-ip=<remote_ip>" (NULL:
 * left out) and "arc.chain=d1:...:dN" (the sealers' domains, oldest first, as OpenARC
 * writes it) when it passed. */
void arc_verify_authres(const struct arc_verify *v, struct authres_builder *b,
			const char *remote_ip);

#endif
