/* Allocation wrappers that abort on exhaustion (see xmalloc.h). */
#include "util/xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t size)
{
	fprintf(stderr, "yubin: out of memory allocating %zu bytes\n", size);
	abort();
}

/* A size that does not fit in size_t could never be allocated: treat it as running out
 * of memory rather than letting it wrap to a small allocation that is then overrun. */
static void
oom_overflow(void)
{
	fprintf(stderr, "yubin: out of memory: allocation size overflows\n");
	abort();
}

size_t
xsize_mul(size_t a, size_t b)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		oom_overflow();
	return r;
}

size_t
xsize_add(size_t a, size_t b)
{
	size_t r;

	if (__builtin_add_overflow(a, b, &r))
		oom_overflow();
	return r;
}

size_t
xsize_grow(size_t cap, size_t min_cap, size_t want)
{
	size_t n = cap ? cap : min_cap;

	while (n < want) {
		if (n > SIZE_MAX / 2) {
			n = want; /* doubling would wrap: take exactly what is asked for */
			break;
		}
		n *= 2;
	}
	return n;
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	(void)xsize_mul(nmemb, size); /* calloc checks too, but report it as an overflow */
	p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *
xgrow(void *ptr, size_t *cap, size_t want, size_t elem_size)
{
	size_t n, bytes;

	if (want <= *cap)
		return ptr;
	n = xsize_grow(*cap, 8, want);
	bytes = xsize_mul(n, elem_size);
	ptr = xrealloc(ptr, bytes);
	*cap = n;
	return ptr;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(xsize_add(n, 1));
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return s;
}
