/* IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2) from a MIME part tree, written the way
 * Dovecot writes them: types, subtypes and parameters as found in the message, the
 * defaults "text" "plain" ("charset" "us-ascii") and "7bit" in lower case. */
#ifndef MAIL_IMAP_BODYSTRUCTURE_H
#define MAIL_IMAP_BODYSTRUCTURE_H
#include <stdbool.h>

#include "mail/mime.h"
#include "util/buf.h"

/* Appends the parenthesized body structure of part idx (0 = the whole message): with
 * extended true the BODYSTRUCTURE form (md5, disposition, language, location; for
 * multiparts the parameters too), else the BODY form. */
void imap_bodystructure_write(struct buf *out, const struct mime_tree *t, uint32_t idx,
			      bool extended);

#endif
