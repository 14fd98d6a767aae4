/* ARC sets (RFC 8617 4.1, 4.2): the ARC-Authentication-Results, ARC-Message-Signature and
 * ARC-Seal fields of a header collected by instance (i=), each AMS and AS parsed, and the
 * structural checks of the validator (5.2 steps 1-3): at most 50 sets, every set complete
 * and unique, instances 1..N without gaps, cv=none at i=1 and cv=pass above, the latest
 * seal not cv=fail. No crypto here: arc_verify.c checks the signatures, arc_seal.c adds a
 * set. A pure function of the header, bounded whatever it holds (at most 150 fields kept). */
#ifndef MAILAUTH_ARC_CHAIN_H
#define MAILAUTH_ARC_CHAIN_H
#include <stdbool.h>
#include <stddef.h>

#include "mailauth/dkim_headers.h"
#include "mailauth/dkim_sig.h"

/* RFC 8617 4.2.1: i= is 1..50; more sets than that is a failed chain (5.2 step 1). */
#define ARC_MAX_SETS 50

/* Chain validation status (RFC 8617 4.4, the AS cv= tag and the AR arc= result). */
enum arc_cv {
	ARC_CV_NONE,
	ARC_CV_PASS,
	ARC_CV_FAIL,
};

enum arc_field_kind {
	ARC_AAR, /* ARC-Authentication-Results (4.1.1) */
	ARC_AMS, /* ARC-Message-Signature (4.1.2) */
	ARC_AS,  /* ARC-Seal (4.1.3) */
};

struct arc_set {
	size_t field[3]; /* index in the dkim_fields per arc_field_kind; SIZE_MAX: none */
	struct dkim_sig ams;
	const char *ams_error; /* NULL: ams parsed (RFC 6376 6.1.1 checks included) */
	struct dkim_sig as;
	const char *as_error; /* NULL: as parsed */
	enum arc_cv cv;       /* the AS's cv= (valid when as_error is NULL) */
};

struct arc_chain {
	/* NONE: no ARC field at all; PASS: the structure is sound, the signatures are still
	 * to be checked; FAIL: the chain failed already (reason says why). */
	enum arc_cv status;
	const char *reason; /* static text, NULL unless FAIL */
	unsigned n;         /* N, the highest instance (0 if none or the chain is unusable) */
	struct arc_set sets[ARC_MAX_SETS + 1]; /* [1..n] */
};

/* The kind of field f, or -1 if it is no ARC field. */
int arc_field_kind(const struct dkim_field *f);
/* The instance of an ARC field's value: the i= tag of an AMS or AS, the leading "i=N;" of
 * an AAR (4.1.1). 0 ok with *i_r in 1..ARC_MAX_SETS; -1: no readable i=, or out of range. */
int arc_field_instance(enum arc_field_kind kind, const char *value, size_t len, unsigned *i_r);
/* The cv= tag's value (4.1.3): 0 ok, -1 if absent or not none/fail/pass. */
int arc_parse_cv(const char *value, size_t len, enum arc_cv *cv_r);

/* Collects and checks the sets of fs (a parsed header). Heap-allocate the chain: it is
 * ~25 KiB. Call arc_chain_clear() after. */
void arc_chain_parse(struct arc_chain *c, const struct dkim_fields *fs);
void arc_chain_clear(struct arc_chain *c);

/* Appends what the ARC-Seal of instance k signs (5.1.1.3): the relaxed AAR, AMS and AS of
 * every set 1..k in that order, the AS of k with b= emptied and without its final CRLF.
 * only_last: set k alone (a cv=fail seal covers only its own set, 5.1.2). -1 if the AS
 * of k has no b= tag. */
int arc_chain_seal_data(const struct arc_chain *c, const struct dkim_fields *fs, unsigned k,
			bool only_last, struct buf *out);

/* Appends sets 1..k whole, relaxed, in that order (what a new seal signs before its own
 * set, 5.1.1.3). */
void arc_chain_sets_data(const struct arc_chain *c, const struct dkim_fields *fs, unsigned k,
			 struct buf *out);

const char *arc_cv_name(enum arc_cv cv);

#endif
