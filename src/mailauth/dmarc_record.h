/* DMARC policy records (RFC 7489 6.3, 6.4): the TXT record at _dmarc.<domain>. A pure parser
 * over the tag-list syntax (tag_list.h); values point into the input, nothing is allocated. */
#ifndef MAILAUTH_DMARC_RECORD_H
#define MAILAUTH_DMARC_RECORD_H
#include <stdbool.h>
#include <stddef.h>

enum dmarc_policy {
	DMARC_POLICY_UNSET = 0, /* sp=/np= absent */
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

enum dmarc_align {
	DMARC_ALIGN_RELAXED = 0, /* "r", the default (RFC 7489 6.3 adkim/aspf) */
	DMARC_ALIGN_STRICT,      /* "s" */
};

enum dmarc_record_status {
	DMARC_RECORD_OK = 0,
	/* Not a DMARC record: no "v=DMARC1" as the first tag, or not a tag list at all. RFC 7489
	 * 6.6.3 step 2: such TXT records are discarded (they do not count as records). */
	DMARC_RECORD_NOT_DMARC,
	/* A DMARC record with no valid p= (or an invalid sp=) and no valid rua= URI: RFC 7489
	 * 6.6.3 says no DMARC processing is applied (the result is "none"). */
	DMARC_RECORD_INVALID,
};

struct dmarc_record {
	enum dmarc_policy p;  /* always set when OK; p=none inferred per 6.6.3 from rua= */
	enum dmarc_policy sp; /* UNSET: subdomains get p */
	enum dmarc_policy np; /* RFC 9091 (parsed, reported only); UNSET if absent */
	bool p_inferred;      /* p was missing/invalid and rua= made it p=none (6.6.3) */
	enum dmarc_align adkim, aspf;
	unsigned pct;          /* 0..100; default and invalid: 100 */
	const char *rua, *ruf; /* raw URI lists (RFC 7489 6.4 dmarc-uri), NULL if absent */
	size_t rua_len, ruf_len;
	const char *fo, *rf; /* raw values, NULL if absent (defaults "0" and "afrf") */
	size_t fo_len, rf_len;
	unsigned long ri; /* report interval in seconds, default 86400 */
};

/* Parses one TXT record (the strings of a TXT RR already concatenated). Unknown tags are
 * ignored; a bad adkim/aspf/pct/ri keeps its default (RFC 7489 6.3: syntax errors in the rest
 * of the record are discarded in favour of defaults). *error_r (may be NULL) gets a static
 * text for NOT_DMARC / INVALID. */
enum dmarc_record_status dmarc_record_parse(const char *s, size_t len, struct dmarc_record *r,
					    const char **error_r);

/* true if [s, s+len) is a list of at least one syntactically valid dmarc-uri (RFC 7489
 * 6.4: URI with a scheme, optionally "!" size suffix), comma-separated. */
bool dmarc_uri_list_valid(const char *s, size_t len);

/* "none", "quarantine", "reject" ("unset" for UNSET). */
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
