/* Content-transfer-encodings undone and applied for IMAP BINARY (RFC 3516): the decoded
 * content of a part for FETCH BINARY[] / BINARY.SIZE[], and binary parts of an APPENDed
 * message re-encoded in base64 so that the stored message stays 7bit/8bit text (RFC 3516
 * 4.3 lets the server store binary content in any CTE it can decode again). */
#ifndef MAIL_MIME_CTE_H
#define MAIL_MIME_CTE_H
#include <stdbool.h>
#include <stddef.h>

#include "mail/mime.h"
#include "util/buf.h"

/* Quoted-printable (RFC 2045 6.7), byte-exact: trailing white space of each encoded line
 * is dropped (rule 3), "=" at the end of a line (after that) is a soft line break (rule
 * 5), =XX is decoded (lower-case hex too), any other "=" is kept as is. Line ends (CRLF or
 * a bare LF) are copied as they are. */
void mime_cte_qp_decode(const char *s, size_t len, struct buf *out);

/* Appends the body of a part undone from enc: base64 (lenient: white space and junk
 * skipped), quoted-printable, or 7bit/8bit/binary copied. -1 (nothing appended) for
 * MIME_ENC_UNKNOWN: IMAP answers NO [UNKNOWN-CTE] (RFC 3516 4.2). */
int mime_cte_decode(enum mime_encoding enc, const char *in, size_t len, struct buf *out);

/* Whether data holds a NUL byte: such content goes out as literal8 ~{n} (RFC 3516 4.2). */
bool mime_cte_has_nul(const char *data, size_t len);

/* RFC 3516 4.3: APPEND of binary content. Every leaf part of msg whose
 * Content-Transfer-Encoding is "binary" gets "Content-Transfer-Encoding: base64" and its
 * body in base64 (76-character CRLF lines); the rest is copied byte for byte. Returns
 * false (out untouched) when the message has no such part. */
bool mime_cte_binary_to_base64(const char *msg, size_t len, struct buf *out);

#endif
