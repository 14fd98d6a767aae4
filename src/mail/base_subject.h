/* The base subject of RFC 5256 2.1 (SORT SUBJECT, THREAD's subject grouping): a Subject
 * value without its "Re:", "Fwd:", "[list]" leaders, "(fwd)" trailers and "[fwd: ...]"
 * wrapping. Pure. */
#ifndef MAIL_BASE_SUBJECT_H
#define MAIL_BASE_SUBJECT_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Appends the base subject of subject (already RFC 2047-decoded to UTF-8: step 1's
 * decoding is the caller's, rfc2047_decode()), upper-casing ASCII letters so that two
 * base subjects compare with memcmp() as i;ascii-casemap compares them (RFC 4790 9.2).
 * *reply_r tells whether a reply or forward marker was removed (RFC 5256 2.1 and 3
 * REFERENCES step 5: "is a reply or forward"). */
void base_subject(const char *subject, size_t len, struct buf *out, bool *reply_r);

#endif
