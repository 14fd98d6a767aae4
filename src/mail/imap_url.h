/* IMAP URLs (RFC 5092) of a message or a part of one, as CATENATE (RFC 4469 5), URLAUTH
 * (RFC 4467) and BURL (RFC 4468) use them: an absolute "imap://user@host/..." URL or a
 * path "/mailbox;uidvalidity=n/;uid=n/;section=x/;partial=o.l", optionally followed by
 * the URLAUTH parts ";expire=<RFC 3339 date-time>;urlauth=<access>[:<mech>:<token>]".
 * Pure parser: no I/O; fuzzed by tests/fuzz/fuzz_imap_url.c. */
#ifndef MAIL_IMAP_URL_H
#define MAIL_IMAP_URL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct imap_url {
	char *user;           /* an absolute URL's enc-user, percent-decoded; NULL if none */
	char *host;           /* an absolute URL's host (no port); NULL if none */
	char *mailbox;        /* percent-decoded (UTF-8, RFC 5092 3.1) */
	uint32_t uidvalidity; /* 0: not given */
	uint32_t uid;
	char *section; /* percent-decoded, e.g. "HEADER", "1.2.MIME"; NULL: the whole message */
	bool partial;
	uint64_t partial_offset;
	uint64_t partial_len; /* UINT64_MAX: to the end */
	/* RFC 4467 URLAUTH */
	bool has_expire;
	time_t expire;
	char *access;    /* "anonymous", "authuser", "user+NAME", "submit+NAME"; NULL: none */
	char *mechanism; /* e.g. "INTERNAL" as sent; NULL: a URL rump (no verifier) */
	char *token;     /* the verifier's hex digits; NULL with mechanism */
	size_t rump_len; /* with access: bytes of the URL up to the access (RFC 4467 2.1) */
};

/* Parses a message URL. 0 ok; -1 with *error_r (static text): not a URL of a message.
 * Nothing is checked against the server (host, user, access: the caller's job).
 * Free with imap_url_free() (also after -1). */
int imap_url_parse(const char *url, size_t len, struct imap_url *u, const char **error_r);
void imap_url_free(struct imap_url *u);
/* The account the URL belongs to: "user@host" when user has no "@", else user;
 * lower-cased, malloc'ed; NULL when the URL names no user. */
char *imap_url_owner(const struct imap_url *u);

#endif
