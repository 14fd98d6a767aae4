/* SMTP command line parser (RFC 5321 4.1.1, 4.1.2 grammar) with the ESMTP parameter syntax
 * of RFC 5321 4.1.2 (esmtp-keyword/esmtp-value) and BDAT (RFC 3030). Pure function over the
 * bytes of one line: no I/O, no globals. The server checks sequence and policy itself. */
#ifndef MAIL_SMTP_CMD_H
#define MAIL_SMTP_CMD_H
#include <stdbool.h>
#include <stddef.h>

enum smtp_verb {
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_EHLO,
	SMTP_VERB_HELO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_BURL, /* RFC 4468: arg is "imap-url [LAST]" */
};

struct smtp_param {
	char *keyword; /* upper-cased */
	char *value;   /* NULL if none (as given, still xtext-encoded where the RFC says so) */
};

struct smtp_cmd {
	enum smtp_verb verb;
	/* Text after the verb and one space, NULL if none: EHLO/HELO domain, VRFY/EXPN string,
	 * HELP/NOOP argument, AUTH "PLAIN xyz"; for an UNKNOWN verb the rest of the line. NULL for
	 * MAIL/RCPT/BDAT (see path, params, bdat_*). Trailing spaces are removed. */
	char *arg;
	/* MAIL/RCPT: the mailbox without <> and without an RFC 5321 4.1.2 source route
	 * ("<@a,@b:u@c>" gives "u@c"), quoted local parts kept as written. "" for MAIL FROM:<>.
	 * For RCPT it may be a bare "Postmaster" (any case, no domain: RFC 5321 4.1.1.3), which
	 * address_parse() rejects, so check that case first. Non-ASCII (UTF-8) is accepted here;
	 * the server decides whether SMTPUTF8 was requested (str_is_ascii()). */
	char *path;
	struct smtp_param *params; /* MAIL/RCPT ESMTP parameters, in order; see smtp_params.h */
	size_t n_params;
	unsigned long long bdat_size; /* BDAT */
	bool bdat_last;               /* BDAT ... LAST */
};

/* Parses one command line given without its CRLF (len bytes, need not be NUL-terminated).
 * Returns 0 on success (verb SMTP_VERB_UNKNOWN for an unknown command: the server answers
 * 500 5.5.2), -1 on a syntax error with *error_r set to a complete reply line such as
 * "501 5.5.4 Syntax: MAIL FROM:<address>" (a static string) and *cmd_r empty except its
 * verb (so the server can log it; nothing to free).
 * Verbs and the FROM:/TO: keywords are case-insensitive. Accepted leniencies: spaces after
 * "FROM:"/"TO:", trailing spaces, and a path without <> when it is one valid mailbox with no
 * '<' or '>' (as Postfix does). NUL, CR or LF in the line is an error (500 5.5.2). DATA,
 * RSET, QUIT and STARTTLS take no argument; EHLO, HELO, VRFY, EXPN and AUTH need one; NOOP
 * and HELP may take one. BDAT <size> [LAST]: size an unsigned decimal, overflow is an error.
 * Does not check the line length limit (the caller's line reader does). */
int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd_r, const char **error_r);
/* Frees everything inside cmd and zeroes it; safe on a zeroed or cleared cmd. */
void smtp_cmd_clear(struct smtp_cmd *cmd);
/* Value of the parameter named keyword (case-insensitive): "" if it has no value, NULL if
 * absent. The first one if repeated (smtp_params_mail/rcpt reject repeats). */
const char *smtp_cmd_param(const struct smtp_cmd *cmd, const char *keyword);
/* Upper-case name of a verb ("MAIL"), "UNKNOWN" for SMTP_VERB_UNKNOWN: for logs. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
