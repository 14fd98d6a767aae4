/* IMAP ENVELOPE (RFC 3501 7.4.2) of a message header, from the raw envelope fields the
 * MIME tree keeps for each message (the top one and each message/rfc822 part). */
#ifndef MAIL_IMAP_ENVELOPE_H
#define MAIL_IMAP_ENVELOPE_H
#include "mail/mime.h"
#include "util/buf.h"

/* Appends "(date subject from sender reply-to to cc bcc in-reply-to message-id)" for
 * part p, which must have MIME_PART_MSGROOT. Strings are the raw header values (encoded
 * words are not decoded, as the RFC requires); absent fields are NIL; an absent or
 * empty Sender or Reply-To repeats From. */
void imap_envelope_write(struct buf *out, const struct mime_tree *t, const struct mime_part *p);
/* The address-list part alone: NIL or "((name adl mailbox host)...)". */
void imap_envelope_write_addresses(struct buf *out, const char *value, size_t len);

#endif
