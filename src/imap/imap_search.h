/* SEARCH command arguments (RFC 3501 6.4.4 and 9, RFC 9051 6.4.4) parsed into a tree of
 * keys, with CHARSET, ESEARCH RETURN options (RFC 4731), SAVE and "$" (RFC 5182) and
 * MODSEQ (RFC 7162 3.1.5). Evaluation against a mailbox is the server's part. */
#ifndef IMAP_IMAP_SEARCH_H
#define IMAP_IMAP_SEARCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_seqset.h"

struct imap_arg;
struct mime_text_matcher;

enum imap_search_type {
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_AND,     /* children; a parenthesized list, and the top level */
	IMAP_SEARCH_OR,      /* 2 children */
	IMAP_SEARCH_NOT,     /* 1 child; also UNSEEN, UNANSWERED, OLD, ... */
	IMAP_SEARCH_SEQSET,  /* set: message sequence numbers (or set.saved for "$") */
	IMAP_SEARCH_UID,     /* set: UIDs (or set.saved) */
	IMAP_SEARCH_FLAG,    /* flag: an IMAP_FLAG_* bit (incl. RECENT) */
	IMAP_SEARCH_KEYWORD, /* value: a keyword */
	IMAP_SEARCH_BEFORE,  /* day: internal date (RFC 3501: disregarding time and zone) */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENTBEFORE, /* day: the Date: header */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_LARGER, /* number: RFC822.SIZE */
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_FROM, /* value: substring of the header */
	IMAP_SEARCH_TO,
	IMAP_SEARCH_CC,
	IMAP_SEARCH_BCC,
	IMAP_SEARCH_SUBJECT,
	IMAP_SEARCH_HEADER, /* field + value ("" matches every message having the field) */
	IMAP_SEARCH_BODY,   /* value: substring of the body */
	IMAP_SEARCH_TEXT,   /* value: substring of header or body */
	IMAP_SEARCH_MODSEQ, /* number: message modseq >= number */
};

struct imap_search_key {
	enum imap_search_type type;
	unsigned flag;
	char *field;
	char *value;
	uint64_t number;
	long day;
	struct imap_seqset set; /* unresolved: "*" is IMAP_SEQ_STAR */
	struct imap_search_key *children;
	size_t count;
	/* the evaluator's compiled value (NULL from the parser; freed with the query) */
	struct mime_text_matcher *matcher;
	/* the evaluator's index of this key in its per-message cache of results */
	unsigned slot;
};

/* RETURN options (RFC 4731 3.1, RFC 5182 2) */
#define IMAP_SEARCH_RET_MIN 0x01
#define IMAP_SEARCH_RET_MAX 0x02
#define IMAP_SEARCH_RET_ALL 0x04
#define IMAP_SEARCH_RET_COUNT 0x08
#define IMAP_SEARCH_RET_SAVE 0x10
#define IMAP_SEARCH_RET_PARTIAL 0x20 /* RFC 5267 4.4, RFC 9394: partial_lo:partial_hi */
#define IMAP_SEARCH_RET_UPDATE 0x40  /* RFC 5267 4.3: CONTEXT=SEARCH live updates */
#define IMAP_SEARCH_RET_CONTEXT 0x80 /* RFC 5267 4.2: a hint, nothing to do */

struct imap_search_query {
	struct imap_search_key root; /* IMAP_SEARCH_AND of the keys */
	bool esearch;                /* RETURN was given: answer with ESEARCH */
	unsigned ret;                /* IMAP_SEARCH_RET_* (RETURN () means ALL) */
	bool utf8;                   /* CHARSET UTF-8 (US-ASCII and none: false) */
	bool bad_charset;            /* after -1: answer NO [BADCHARSET (US-ASCII UTF-8)] */
	bool has_modseq; /* a MODSEQ key: the reply carries (MODSEQ n), RFC 7162 3.1.5 */
	bool uses_saved; /* "$" appears somewhere */
	/* PARTIAL: 1-based positions in the result, lo <= hi, both > 0 or both < 0 (from
	 * the end, RFC 9394 3.1) */
	int32_t partial_lo, partial_hi;
};

/* Parses the arguments after "SEARCH" (or "UID SEARCH"). 0 ok, -1 with *error_r (static
 * text) for a BAD, or with q->bad_charset set for a NO [BADCHARSET]. Free the query with
 * imap_search_query_free() in both cases. */
/* An address field as "Name <local@domain>, ..." with groups as "group: ...;" (what SEARCH
 * FROM/TO/CC/BCC also match against), into out (reset first). */
void imap_search_addr_normalize(struct buf *out, const char *value, size_t len);

int imap_search_parse(const struct imap_arg *args, size_t count, struct imap_search_query *q,
		      const char **error_r);
void imap_search_query_free(struct imap_search_query *q);
/* Parses a RETURN option list (RFC 4731 3.1, RFC 5267 4, RFC 9394) into q->ret (and
 * q->partial_*), as SEARCH and SORT take it. 0, or -1 with *error_r for a BAD. */
int imap_search_parse_return(const struct imap_arg *list, struct imap_search_query *q,
			     const char **error_r);
/* What SORT and THREAD (imap_sort.c, imap_thread_cmd.c) add to a SEARCH run by
 * imap_search_run() (imap_search_eval.c): the matching messages are handed to match()
 * during the sliced walk (with the fields asked for), and finish() answers at the end. */
struct imap_session;
struct imap_command;
struct store_msg_meta;
struct imap_sort_msg;
struct imap_search_hook {
	const char *name; /* "SORT", "THREAD": the tagged OK's text */
	unsigned fields;  /* enum store_msg_field the match callback needs */
	void (*match)(void *arg, struct imap_session *s, uint32_t seq,
		      const struct store_msg_meta *meta);
	/* sends the untagged reply (not the tagged one); q is the parsed SEARCH part */
	void (*finish)(void *arg, struct imap_session *s, const struct imap_command *cmd,
		       const struct imap_search_query *q);
	void (*free)(void *arg);
	void *arg;
	/* RETURN (UPDATE) of a SORT (RFC 5267 4.3, CONTEXT=SORT): the result in sort order
	 * (valid after finish), and the criteria to sort it again as the mailbox changes */
	const uint32_t *(*result_uids)(void *arg, size_t *n_r);
	/* when set, and the query needs nothing but the view, INTERNALDATE and size, the
	 * search runs at once on the view and the sort cache (imap_sort_cache.h): each match
	 * is handed over with its cached keys (in arena) instead of match() */
	void (*cached_match)(void *arg, const struct imap_sort_msg *msg, uint32_t seq,
			     const char *arena);
	const struct imap_sort_crit *crit;
	size_t n_crit;
	unsigned sort_keys;
};
struct imap_sort_crit;
/* Runs SEARCH (hook NULL), or the search of a SORT/THREAD with its hook, on args (the
 * SEARCH arguments: [RETURN (...)] [CHARSET x] keys). The hook's arg is freed with
 * hook->free in every case. */
void imap_search_run(struct imap_session *s, const struct imap_command *cmd,
		     const struct imap_arg *args, size_t count,
		     const struct imap_search_hook *hook);
/* The same for SORT and THREAD: prefix (RETURN and its list, or nothing), then
 * rest = charset and the search keys, given to SEARCH as "CHARSET charset keys". */
void imap_search_run_charset(struct imap_session *s, const struct imap_command *cmd,
			     const struct imap_arg *prefix, size_t n_prefix,
			     const struct imap_arg *rest, size_t n_rest,
			     const struct imap_search_hook *hook);
/* Evaluates a query that a SEARCH ran (and prepared: fields and n_slots are what it
 * found) on the whole view now, in one go (CONTEXT=SEARCH updates). hook->match gets the
 * matches as in a run. 0 with the matching UIDs in mailbox order (free them), -1 on an
 * index error. */
int imap_search_eval_view(struct imap_session *s, struct imap_search_query *q, unsigned fields,
			  unsigned n_slots, const struct imap_search_hook *hook, uint32_t **uids_r,
			  size_t *n_r);
/* The same on the messages of only[0..n_only) (UIDs, ascending) alone: a context brought
 * up to date after a few changes (imap_context.c). */
int imap_search_eval_uids(struct imap_session *s, struct imap_search_query *q, unsigned fields,
			  unsigned n_slots, const struct imap_search_hook *hook,
			  const uint32_t *only, size_t n_only, uint32_t **uids_r, size_t *n_r);
/* Writes the ESEARCH items (MIN MAX COUNT ALL PARTIAL) of a result in the given order
 * (mailbox order for SEARCH, sort order for SORT: RFC 5267 3.1). */
struct buf;
void imap_search_write_esearch(struct buf *out, const struct imap_search_query *q,
			       const uint32_t *ids, size_t n);

/* Number of search keys in the query (every key, those inside OR, NOT and parentheses too):
 * what imap_search_max_keys bounds. */
size_t imap_search_count_keys(const struct imap_search_key *k);

#endif
