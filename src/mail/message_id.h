/* Message-IDs as THREAD=REFERENCES uses them (RFC 5256 3): the msg-ids of a Message-ID,
 * In-Reply-To or References value. Pure. */
#ifndef MAIL_MESSAGE_ID_H
#define MAIL_MESSAGE_ID_H
#include <stdbool.h>
#include <stddef.h>

/* Finds the next valid msg-id in [*p, end): "<" id-left "@" id-right ">" (RFC 5322
 * 3.6.4), leniently: comments and anything that is not a msg-id between them are
 * skipped, and an id is any run of printable non-space characters but "<" and ">" that
 * holds an "@" (obs-id-left/right, as mail in the wild has them). On success *id_r and
 * *len_r are the id without its angle brackets (compared octet for octet, RFC 5256 3)
 * and *p is moved past it; false when there is no further one. */
bool message_id_next(const char **p, const char *end, const char **id_r, size_t *len_r);

#endif
