/* struct buf: a growable byte buffer, always NUL-terminated after len so it can be
 * used as a C string when it holds text. The basic string type of yubin. */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append; buf_cstr() never returns NULL */
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Keeps the allocation, empties the content. */
void buf_reset(struct buf *b);
/* Ensures room for extra more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_appends(struct buf *b, const char *s);
void buf_appendc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_truncate(struct buf *b, size_t len);
const char *buf_cstr(const struct buf *b);
/* Hands the allocation to the caller (NUL-terminated, never NULL) and empties b. */
char *buf_steal(struct buf *b);

#endif
