/* ARC set collection and the structural checks of RFC 8617 5.2 steps 1-3. */
#include "mailauth/arc_chain.h"

#include <stdint.h>
#include <string.h>

#include "mailauth/dkim_canon.h"
#include "mailauth/tag_list.h"
#include "util/str.h"

static const char *const field_names[] = {
	[ARC_AAR] = "ARC-Authentication-Results",
	[ARC_AMS] = "ARC-Message-Signature",
	[ARC_AS] = "ARC-Seal",
};

int
arc_field_kind(const struct dkim_field *f)
{
	int k;

	for (k = ARC_AAR; k <= ARC_AS; k++)
		if (dkim_field_is(f, field_names[k]))
			return k;
	return -1;
}

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* inst-num (4.2.1): 1*2DIGIT in 1..50; a longer or larger number is out of range. */
static int
instance_number(const char *s, size_t len, unsigned *i_r)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 2)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > ARC_MAX_SETS)
		return -1;
	*i_r = v;
	return 0;
}

/* 4.1.1: arc-info = instance [CFWS] ";" at the start of the AAR's value (FWS allowed around
 * "i", "=" and the number; comments are not). */
static int
aar_instance(const char *v, size_t len, unsigned *i_r)
{
	const char *p = v, *end = v + len, *num;

	while (p < end && is_fws(*p))
		p++;
	if (p == end || *p++ != 'i')
		return -1;
	while (p < end && is_fws(*p))
		p++;
	if (p == end || *p++ != '=')
		return -1;
	while (p < end && is_fws(*p))
		p++;
	num = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (instance_number(num, (size_t)(p - num), i_r) < 0)
		return -1;
	while (p < end && is_fws(*p))
		p++;
	return p < end && *p == ';' ? 0 : -1;
}

int
arc_field_instance(enum arc_field_kind kind, const char *value, size_t len, unsigned *i_r)
{
	struct tag_list tl;
	const struct tag *i;
	const char *error;

	if (kind == ARC_AAR)
		return aar_instance(value, len, i_r);
	if (tag_list_parse(&tl, value, len, &error) < 0 || (i = tag_list_get(&tl, "i")) == NULL)
		return -1;
	return instance_number(i->value, i->value_len, i_r);
}

int
arc_parse_cv(const char *value, size_t len, enum arc_cv *cv_r)
{
	struct tag_list tl;
	const struct tag *cv;
	const char *error;

	if (tag_list_parse(&tl, value, len, &error) < 0 || (cv = tag_list_get(&tl, "cv")) == NULL)
		return -1;
	/* 4.1.3: cv= none / fail / pass (values compared case-insensitively, as dkimpy and
	 * OpenARC do) */
	if (tag_value_is_ci(cv, "none"))
		*cv_r = ARC_CV_NONE;
	else if (tag_value_is_ci(cv, "pass"))
		*cv_r = ARC_CV_PASS;
	else if (tag_value_is_ci(cv, "fail"))
		*cv_r = ARC_CV_FAIL;
	else
		return -1;
	return 0;
}

const char *
arc_cv_name(enum arc_cv cv)
{
	return cv == ARC_CV_PASS ? "pass" : cv == ARC_CV_FAIL ? "fail" : "none";
}

static void
fail(struct arc_chain *c, const char *reason)
{
	c->status = ARC_CV_FAIL;
	c->reason = reason;
}

static int
find_amsh(const char *item, size_t len, void *ctx)
{
	(void)ctx;
	return len == 8 && str_ncasecmp(item, "arc-seal", 8) == 0 ? -1 : 0;
}

/* Parses the AMS and the AS of set k (all three fields are there). */
static void
parse_set(struct arc_chain *c, const struct dkim_fields *fs, unsigned k)
{
	struct arc_set *set = &c->sets[k];
	const struct dkim_field *ams = &fs->f[set->field[ARC_AMS]];
	const struct dkim_field *as = &fs->f[set->field[ARC_AS]];
	const char *error;
	size_t i;

	if (dkim_sig_parse_seal(&set->as, as->value, as->value_len, &error) < 0)
		set->as_error = error;
	if (dkim_sig_parse_ams(&set->ams, ams->value, ams->value_len, &error) < 0) {
		set->ams_error = error;
		return;
	}
	/* 4.1.2: "ARC-Seal header fields MUST NOT be included in the AMS's h=" (the seal is
	 * added after the AMS: signing one would make every AMS fail) */
	for (i = 0; i < set->ams.n_headers; i++)
		if (find_amsh(set->ams.headers[i], strlen(set->ams.headers[i]), NULL) < 0)
			set->ams_error = "ARC-Message-Signature signs ARC-Seal";
}

void
arc_chain_parse(struct arc_chain *c, const struct dkim_fields *fs)
{
	size_t j, found = 0;
	unsigned k;

	memset(c, 0, sizeof(*c));
	for (k = 0; k <= ARC_MAX_SETS; k++)
		c->sets[k].field[0] = c->sets[k].field[1] = c->sets[k].field[2] = SIZE_MAX;
	c->status = ARC_CV_NONE;
	for (j = 0; j < fs->count; j++) {
		int kind = arc_field_kind(&fs->f[j]);
		unsigned i;

		if (kind < 0)
			continue;
		found++;
		/* 5.2 step 1: more than 50 sets (an i= above 50) or an unreadable instance
		 * cannot be a valid chain */
		if (arc_field_instance(kind, fs->f[j].value, fs->f[j].value_len, &i) < 0) {
			fail(c, "ARC field without a valid instance (i= 1..50)");
			return;
		}
		/* step 3: exactly one field of each kind per set */
		if (c->sets[i].field[kind] != SIZE_MAX) {
			fail(c, "duplicate ARC field in a set");
			return;
		}
		c->sets[i].field[kind] = j;
		if (i > c->n)
			c->n = i;
	}
	if (found == 0)
		return;
	/* step 2: the latest seal reports a failed chain: it ends there */
	if (c->sets[c->n].field[ARC_AS] != SIZE_MAX) {
		const struct dkim_field *as = &fs->f[c->sets[c->n].field[ARC_AS]];
		enum arc_cv cv;

		if (arc_parse_cv(as->value, as->value_len, &cv) == 0 && cv == ARC_CV_FAIL) {
			fail(c, "the latest ARC-Seal says cv=fail");
			return;
		}
	}
	for (k = 1; k <= c->n; k++) {
		struct arc_set *set = &c->sets[k];
		const struct dkim_field *as;

		if (set->field[ARC_AAR] == SIZE_MAX || set->field[ARC_AMS] == SIZE_MAX ||
		    set->field[ARC_AS] == SIZE_MAX) {
			fail(c, "ARC set missing or incomplete");
			return;
		}
		as = &fs->f[set->field[ARC_AS]];
		if (arc_parse_cv(as->value, as->value_len, &set->cv) < 0) {
			fail(c, "ARC-Seal without a valid cv=");
			return;
		}
		/* step 3: i=1 has no chain before it, every later one saw a passing chain */
		if (k == 1 ? set->cv != ARC_CV_NONE : set->cv != ARC_CV_PASS) {
			fail(c, k == 1 ? "ARC-Seal i=1 without cv=none"
				       : "ARC-Seal i>1 without cv=pass");
			return;
		}
	}
	for (k = 1; k <= c->n; k++)
		parse_set(c, fs, k);
	c->status = ARC_CV_PASS;
}

void
arc_chain_clear(struct arc_chain *c)
{
	unsigned k;

	for (k = 0; k <= ARC_MAX_SETS; k++) {
		dkim_sig_clear(&c->sets[k].ams);
		dkim_sig_clear(&c->sets[k].as);
	}
}

static void
add_field(const struct dkim_fields *fs, size_t idx, struct buf *out)
{
	dkim_canon_header(out, DKIM_CANON_RELAXED, fs->f[idx].raw, fs->f[idx].raw_len);
}

void
arc_chain_sets_data(const struct arc_chain *c, const struct dkim_fields *fs, unsigned k,
		    struct buf *out)
{
	unsigned j;

	/* 5.1.1.3: sets in increasing instance order; in each, AAR then AMS then AS */
	for (j = 1; j <= k && j <= c->n; j++) {
		add_field(fs, c->sets[j].field[ARC_AAR], out);
		add_field(fs, c->sets[j].field[ARC_AMS], out);
		add_field(fs, c->sets[j].field[ARC_AS], out);
	}
}

int
arc_chain_seal_data(const struct arc_chain *c, const struct dkim_fields *fs, unsigned k,
		    bool only_last, struct buf *out)
{
	const struct dkim_field *as;

	if (k < 1 || k > c->n)
		return -1;
	if (!only_last)
		arc_chain_sets_data(c, fs, k - 1, out);
	add_field(fs, c->sets[k].field[ARC_AAR], out);
	add_field(fs, c->sets[k].field[ARC_AMS], out);
	as = &fs->f[c->sets[k].field[ARC_AS]];
	return dkim_headers_sig_field(out, DKIM_CANON_RELAXED, as->raw, as->raw_len);
}
