/* Allocation wrappers: running out of memory is a broken invariant, so these abort
 * instead of returning NULL. A size computation that overflows size_t is running out of
 * memory too: the functions below abort on it the same way. */
#ifndef UTIL_XMALLOC_H
#define UTIL_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of elements of elem_size to hold at least want of them, doubling from
 * *cap (8 when 0); updates *cap. Aborts when want * elem_size does not fit in size_t. */
void *xgrow(void *ptr, size_t *cap, size_t want, size_t elem_size);
/* a * b and a + b, aborting (as out of memory) when the result does not fit in size_t:
 * for the size arguments of the functions above. */
size_t xsize_mul(size_t a, size_t b);
size_t xsize_add(size_t a, size_t b);
/* The capacity to grow to: cap (min_cap when 0) doubled until it holds want; want itself
 * when doubling would overflow. Never less than want. */
size_t xsize_grow(size_t cap, size_t min_cap, size_t want);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
