/* Base64 (RFC 4648) for SASL exchanges and MIME decoding. */
#ifndef UTIL_BASE64_H
#define UTIL_BASE64_H
#include <stddef.h>

struct buf;

void base64_encode(struct buf *out, const void *data, size_t len);
/* Strict decode (SASL): whitespace or bad characters are an error. 0 ok, -1 bad. */
int base64_decode(struct buf *out, const char *data, size_t len);
/* Lenient decode (MIME bodies): skips whitespace and junk, stops at '='. */
void base64_decode_lenient(struct buf *out, const char *data, size_t len);

#endif
