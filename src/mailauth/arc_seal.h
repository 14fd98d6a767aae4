/* ARC sealing (RFC 8617 5.1): the three fields of a new ARC set for a message we forward,
 * signed with one of our DKIM keys: an RSA one (rsa-sha256 is the only algorithm RFC 8617
 * names; dkimpy 1.1's arc_verify rejects ed25519-sha256, so Ed25519 keys are refused; the
 * validator accepts both). The body is hashed as it streams; the header is needed at the
 * end only:
 *
 *   s = arc_seal_new(time(NULL));
 *   arc_seal_body(s, chunk, len); ...                      (every body chunk)
 *   arc_seal_finish(s, &key, cv, ar, ar_len, hdr, hdr_len, &out, &error);
 *   arc_seal_free(&s);
 *
 * cv is the validation result of the chain as the message arrived (arc_verify_result()->cv;
 * ARC_CV_NONE when it had no sets); ar is our Authentication-Results field for the message
 * (authres_begin ... authres_end: "Authentication-Results: <authserv-id>; spf=...;
 * dkim=...; dmarc=...; arc=<cv> ...", with or without the field name and final CRLF), which
 * becomes the ARC-Authentication-Results of the set; hdr is the header as it will be sent on
 * (the ARC sets already there included). out gets "ARC-Seal", "ARC-Message-Signature" and
 * "ARC-Authentication-Results" (each folded, CRLF-terminated) to put on top of the header.
 *
 * Example, in the SMTP session when the message will be forwarded to a remote domain (the
 * body chunks already go to arc_verify_body; key: the domain's RSA DKIM key that
 * `yubin dkim keygen` made, data_directory/dkim/DOMAIN/SELECTOR-rsa.pem, e.g.
 * arc_seal_key(dkim_keyring_keys(keyring, domain, &n), n)):
 *
 *   at end of header:   s->arc_seal = arc_seal_new(time(NULL));
 *   each body chunk:    arc_seal_body(s->arc_seal, chunk, len);
 *   end of data, after our Authentication-Results field (ar) is built:
 *       if (arc_seal_finish(s->arc_seal, key, arc_verify_result(s->arc)->cv, ar.data,
 *                           ar.len, hdr, hdr_len, &top, &error) == 0)
 *               put top above ar and the rest of the header;
 *       else    log error; the message goes on unsealed (ARC is advice)
 *
 * or in the queue at delivery, with the whole message (its top field being the
 * Authentication-Results the session added): arc_seal_message(key, myhostname, msg, len,
 * time(NULL), &top, &error), below.
 *
 * Not sealed (-1 with the reason): the latest seal already says cv=fail (5.1 step 1: the
 * chain is over), 50 sets already (4.2.1), cv pass/fail claimed for a message without sets
 * or cv none for one with sets, cv pass for a chain whose structure is broken, no From
 * field, a key that is not RSA or cannot sign. With cv=fail the new seal covers only its
 * own set (5.1.2). */
#ifndef MAILAUTH_ARC_SEAL_H
#define MAILAUTH_ARC_SEAL_H
#include <stddef.h>
#include <time.h>

#include "mailauth/arc_chain.h"
#include "mailauth/dkim_sign.h"
#include "util/buf.h"

struct arc_seal;

struct arc_seal *arc_seal_new(time_t now);
void arc_seal_free(struct arc_seal **s);
void arc_seal_body(struct arc_seal *s, const char *data, size_t len);
/* Ends the body and appends the new set's three fields to out. 0 ok; -1 with *error_r a
 * static text, out unchanged. Call once. */
int arc_seal_finish(struct arc_seal *s, const struct dkim_sign_key *key, enum arc_cv cv,
		    const char *ar, size_t ar_len, const char *hdr, size_t hdr_len, struct buf *out,
		    const char **error_r);

/* ---- for the queue: sealing a whole message at forwarding time ---- */

/* The first RSA key of keys[0..n) (as dkim_keyring_keys() gives a domain's keys), or NULL. */
const struct dkim_sign_key *arc_seal_key(const struct dkim_sign_key *keys, size_t n);

/* The arc= result of an Authentication-Results field value (after "Authentication-Results:",
 * folded): 0 with *cv_r, or -1 when it has no arc= result of none/pass/fail. */
int arc_authres_cv(const char *value, size_t len, enum arc_cv *cv_r);

/* Seals msg (header and body, CRLF, in memory) as arc_seal_new/body/finish do, taking the
 * AAR and the cv from our own Authentication-Results field: the top one whose authserv-id
 * is our_id (the one the SMTP session added at reception) and its arc= result (none: only
 * for a message without ARC sets). Appends the three fields to out. 0 ok; -1 with *error_r
 * (as arc_seal_finish, or "no Authentication-Results of ours", "no arc= result in our
 * Authentication-Results"). Note: a chain whose keys could not be looked up at reception
 * was recorded arc=fail and gets a cv=fail seal (the session's arc_result.tempfail is not in
 * the field); seal in the session (arc_seal_finish) to avoid that. */
int arc_seal_message(const struct dkim_sign_key *key, const char *our_id, const char *msg,
		     size_t len, time_t now, struct buf *out, const char **error_r);

#endif
