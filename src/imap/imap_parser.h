/* The IMAP command parser (RFC 3501 / RFC 9051 section 9): a pure, resumable parser over
 * bytes that turns "tag SP command [SP args] CRLF" into a tree of arguments (atoms,
 * quoted strings, literals {n} {n+} ~{n}, NIL, lists, FETCH [section]<partial>).
 * Input may arrive split anywhere, down to one byte at a time. */
#ifndef IMAP_IMAP_PARSER_H
#define IMAP_IMAP_PARSER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IMAP_ARG_ATOM,    /* also sequence sets, flags (\Seen), FETCH items (BODY[...]<..>) */
	IMAP_ARG_QUOTED,  /* "..." with the \" and \\ escapes removed */
	IMAP_ARG_LITERAL, /* {n} / {n+} / ~{n}; may contain NUL bytes (see flags) */
	IMAP_ARG_NIL,     /* the atom NIL (any case); str holds it as sent */
	IMAP_ARG_LIST,    /* ( ... ) */
};

/* imap_arg.flags */
#define IMAP_ARG_FLAG_LITERAL8 0x01 /* the literal was sent as ~{n} (RFC 3516) */
#define IMAP_ARG_FLAG_SECTION 0x02  /* FETCH atom followed by [section]: list/count hold it */
#define IMAP_ARG_FLAG_PARTIAL 0x04  /* FETCH atom with <offset.size> after the section */
#define IMAP_ARG_FLAG_NUL 0x08      /* the string contains a NUL byte */

struct imap_arg {
	enum imap_arg_type type;
	unsigned flags;
	/* ATOM, QUOTED, LITERAL, NIL: the bytes, NUL-terminated after len. */
	const char *str;
	size_t len;
	/* LIST: the elements; ATOM with IMAP_ARG_FLAG_SECTION: the section's arguments,
	 * e.g. BODY[HEADER.FIELDS (From To)] gives str "BODY" and list
	 * [ATOM "HEADER.FIELDS", LIST (ATOM From, ATOM To)]; BODY[] gives count 0. */
	struct imap_arg *list;
	size_t count;
	/* IMAP_ARG_FLAG_PARTIAL: BODY[]<offset.size> (RFC 3501 6.4.5). */
	uint64_t partial_offset;
	uint64_t partial_size;
};

struct imap_command {
	const char *tag;
	const char *name; /* upper-cased; for "UID FETCH" it is "FETCH" with uid set */
	bool uid;
	struct imap_arg *args;
	size_t count;
};

struct imap_parser_limits {
	size_t max_line;             /* bytes of a command outside its literals */
	uint64_t max_literal;        /* any literal except APPEND's message */
	uint64_t max_append;         /* literals of APPEND (the APPENDLIMIT, RFC 7889) */
	uint64_t max_literals_total; /* all literals of one command together */
	unsigned max_depth;          /* nesting of lists and sections */
	size_t max_args;             /* arguments in the whole tree */
	/* a non-synchronizing literal over the limits is IMAP_PARSE_ERR_FATAL (close the
	 * connection) instead of IMAP_PARSE_ERR_TOOBIG with its data skipped */
	bool nonsync_toobig_fatal;
};

/* 64 KiB lines and literals, 32 levels, 10000 arguments, APPEND up to 64 MiB, 64 MiB of
 * literals per command, too-big non-synchronizing literals skipped. */
extern const struct imap_parser_limits imap_parser_default_limits;

enum imap_parse_error {
	IMAP_PARSE_ERR_NONE,
	IMAP_PARSE_ERR_SYNTAX, /* answer "tag BAD <reason>" (or "* BAD" without a tag) */
	IMAP_PARSE_ERR_LINE,   /* the command line is past max_line: BAD */
	IMAP_PARSE_ERR_TOOBIG, /* a literal over the limit: "tag NO [TOOBIG]" (RFC 7889) */
	IMAP_PARSE_ERR_FATAL,  /* the input cannot be resynchronized: BAD and disconnect */
};

struct imap_parser;

/* limits NULL = imap_parser_default_limits (copied). */
struct imap_parser *imap_parser_new(const struct imap_parser_limits *limits);
void imap_parser_free(struct imap_parser **p);

/* Feeds bytes. *used_r is set to how many bytes were consumed; the caller drops those and
 * feeds the rest (plus what arrives later) in the next call.
 *  1: a command is complete (imap_parser_command()); bytes after its LF are not consumed.
 *  0: more input is needed, or a synchronizing literal waits for the caller's decision
 *     (imap_parser_literal_pending()); in the latter case input is not consumed further.
 * -1: a bad command: imap_parser_error() says why. The rest of the line (and any
 *     non-synchronizing literal announced at its end) is skipped by later calls after
 *     imap_parser_next(), so literal data is never taken for a command.
 * Empty lines are skipped. CRLF and bare LF both end a line. */
int imap_parser_parse(struct imap_parser *p, const void *data, size_t len, size_t *used_r);

/* The parsed command, valid after 1 until imap_parser_next(). */
const struct imap_command *imap_parser_command(const struct imap_parser *p);

/* The tag of the current (even partly parsed or failed) command, NULL if none yet. */
const char *imap_parser_tag(const struct imap_parser *p);
/* The upper-cased command name once read (for "UID x": "x"), else NULL. */
const char *imap_parser_name(const struct imap_parser *p);

/* After -1: the reason (static text) and its kind. */
const char *imap_parser_error(const struct imap_parser *p);
enum imap_parse_error imap_parser_error_code(const struct imap_parser *p);

/* Replaces the literal limits (max_literal, max_append, max_literals_total,
 * nonsync_toobig_fatal) from the next literal on; e.g. at login. */
void imap_parser_set_literal_limits(struct imap_parser *p, const struct imap_parser_limits *limits);
/* Literal bytes the current command has announced so far (those being read or waiting for
 * their continuation included): what it will hold once they arrive. 0 between commands. */
uint64_t imap_parser_literal_bytes(const struct imap_parser *p);

/* True while a synchronizing literal {n} (within the limits) has been announced and the
 * parser waits: the caller sends "+ ..." and calls imap_parser_literal_continue(), or
 * refuses it (sends "tag NO/BAD") and calls imap_parser_next(): the client, which waits
 * for the continuation, then sends the next command. */
bool imap_parser_literal_pending(const struct imap_parser *p, uint64_t *size_r);
void imap_parser_literal_continue(struct imap_parser *p);

/* Frees the current command and starts the next one (after 1, -1, or to refuse a
 * pending literal). */
void imap_parser_next(struct imap_parser *p);

/* Argument helpers. astring: ATOM, QUOTED, LITERAL or NIL without NUL bytes. */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r);
/* string: QUOTED or LITERAL without NUL bytes. */
bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r);
/* atom: a plain ATOM (no section); NIL is an atom too here. */
bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r);
bool imap_arg_is_nil(const struct imap_arg *arg);
/* A case-insensitive comparison with an atom. */
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *atom);

#endif
