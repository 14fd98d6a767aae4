/* POP3 command lines (RFC 1939 3, RFC 2449 3): a pure parser, no I/O. */
#ifndef POP3_POP3_CMD_H
#define POP3_POP3_CMD_H
#include <stddef.h>

/* RFC 2449 4: commands are at most 255 octets; AUTH with an initial response (RFC 5034
 * 4) may be longer, so lines up to this are accepted, and AUTH's initial response may
 * fill them (struct pop3_cmd's response). */
#define POP3_LINE_MAX 2048

enum pop3_verb {
	POP3_VERB_UNKNOWN,
	POP3_VERB_USER,
	POP3_VERB_PASS,
	POP3_VERB_STAT,
	POP3_VERB_LIST,
	POP3_VERB_RETR,
	POP3_VERB_DELE,
	POP3_VERB_NOOP,
	POP3_VERB_RSET,
	POP3_VERB_QUIT,
	POP3_VERB_TOP,
	POP3_VERB_UIDL,
	POP3_VERB_CAPA,
	POP3_VERB_STLS,
	POP3_VERB_AUTH,
	POP3_VERB_APOP,
};

struct pop3_cmd {
	enum pop3_verb verb;
	/* The text after the keyword and one space, verbatim (PASS takes all of it: a
	 * password may contain spaces); "" when there is none. Points into the line. */
	const char *rest;
	/* rest split at single spaces: at most 2 arguments; n_args 3 means "more than 2". */
	char args[2][256];
	int n_args;
	/* AUTH: the initial response (RFC 5034 4), of any length the line allows; points
	 * into the line; NULL when there is none. args[1] holds it too when it fits. */
	const char *response;
};

/* Parses line (without CRLF; not necessarily NUL-terminated). Returns 0 (verb UNKNOWN for
 * an unknown keyword), or -1 with *error_r for a malformed line (NUL bytes, an argument
 * over 255 octets other than AUTH's initial response, an empty keyword). rest and
 * response point into line (NUL-terminated when line is). */
int pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd, const char **error_r);
/* A message number argument: decimal, 1..max. 0 ok, -1 bad. */
int pop3_cmd_msgnum(const char *arg, unsigned max, unsigned *num_r);

#endif
