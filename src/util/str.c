/* Small string helpers (see str.h). */
#include "util/str.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static inline int
lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int
str_casecmp(const char *a, const char *b)
{
	while (*a != '\0' && lc((unsigned char)*a) == lc((unsigned char)*b)) {
		a++;
		b++;
	}
	return lc((unsigned char)*a) - lc((unsigned char)*b);
}

int
str_ncasecmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		int d = lc((unsigned char)*a) - lc((unsigned char)*b);
		if (d != 0 || *a == '\0')
			return d;
	}
	return 0;
}

bool
str_casepfx(const char *s, const char *prefix)
{
	return str_ncasecmp(s, prefix, strlen(prefix)) == 0;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)lc((unsigned char)*s);
}

void
str_upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *
str_trim(char *s)
{
	size_t len;
	char *p = s;

	while (is_space(*p))
		p++;
	len = strlen(p);
	while (len > 0 && is_space(p[len - 1]))
		len--;
	memmove(s, p, len);
	s[len] = '\0';
	return s;
}

long
mem_casefind(const char *haystack, size_t len, const char *needle, size_t nlen)
{
	size_t i, j;

	if (nlen == 0)
		return 0;
	if (nlen > len)
		return -1;
	for (i = 0; i + nlen <= len; i++) {
		for (j = 0; j < nlen; j++)
			if (lc((unsigned char)haystack[i + j]) != lc((unsigned char)needle[j]))
				break;
		if (j == nlen)
			return (long)i;
	}
	return -1;
}

bool
str_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

int
str_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
str_to_u64(const char *s, unsigned long long *value_r)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9')
			return -1;
		/* exact overflow test: 18446744073709551615 itself is valid */
		if (v > ULLONG_MAX / 10 || (v == ULLONG_MAX / 10 && d > ULLONG_MAX % 10))
			return -1;
		v = v * 10 + d;
	}
	*value_r = v;
	return 0;
}

char **
str_split(const char *s, char sep)
{
	char **arr = NULL;
	size_t n = 0, cap = 0;
	const char *p = s;

	for (;;) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *item = str_trim(xstrndup(p, len));

		if (*item != '\0') {
			arr = xgrow(arr, &cap, n + 2, sizeof(*arr));
			arr[n++] = item;
		} else {
			free(item);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	arr = xgrow(arr, &cap, n + 1, sizeof(*arr));
	arr[n] = NULL;
	return arr;
}

void
str_array_free(char ***arr)
{
	char **p;

	if (*arr == NULL)
		return;
	for (p = *arr; *p != NULL; p++)
		free(*p);
	free(*arr);
	*arr = NULL;
}

size_t
str_array_len(char *const *arr)
{
	size_t n = 0;

	while (arr != NULL && arr[n] != NULL)
		n++;
	return n;
}

size_t
str_lcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
	return len;
}
