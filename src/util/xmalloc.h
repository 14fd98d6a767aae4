/* Allocation wrappers: running out of memory is a broken invariant, so these abort
 * instead of returning NULL. */
#ifndef UTIL_XMALLOC_H
#define UTIL_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of nmemb elements to hold at least want, doubling; updates *cap. */
void *xgrow(void *ptr, size_t *cap, size_t want, size_t elem_size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
