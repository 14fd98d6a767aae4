/* The maildrop: data_directory/maildrop/, where `yubin sendmail` leaves messages whether or
 * not the server runs; the server picks them up (queue_pickup.c). One file per message:
 *
 *   "YUBIN-MAILDROP 1\n" "F <sender>\n" ("R <recipient>\n")+ "\n" message (CRLF lines)
 *
 * written as tmp.* and renamed to its final name once complete and synced. The directory
 * is mode 1733 (anyone may drop a file; nobody but the server may list or read others').
 * Pure formatting and parsing here; no I/O. */
#ifndef QUEUE_QUEUE_MAILDROP_H
#define QUEUE_QUEUE_MAILDROP_H
#include <stddef.h>

#include "util/buf.h"

#define QUEUE_MAILDROP_MAGIC "YUBIN-MAILDROP 1\n"

struct queue_maildrop {
	char *sender;    /* "" = null sender */
	char **rcpts;    /* NULL-terminated */
	const char *msg; /* points into the parsed data */
	size_t msg_len;
};

/* Appends the envelope part (magic, sender, recipients, empty line) to out. Addresses
 * must not contain CR or LF. */
void queue_maildrop_format(struct buf *out, const char *sender, const char *const *rcpts);
/* Parses a maildrop file. 0 ok (free with queue_maildrop_clear), -1 malformed with
 * *error_r (static text). */
int queue_maildrop_parse(const char *data, size_t len, struct queue_maildrop *md,
			 const char **error_r);
void queue_maildrop_clear(struct queue_maildrop *md);
/* Appends msg to out with every line ending in CRLF: a bare LF or bare CR (which anyone
 * writing the maildrop could put there) becomes CRLF, so that nothing queued can end the
 * SMTP DATA early at a remote server (RFC 5321 2.3.8, "SMTP smuggling"). */
void queue_maildrop_crlf(struct buf *out, const char *msg, size_t len);

#endif
