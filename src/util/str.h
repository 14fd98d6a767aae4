/* Small string helpers used by every layer. */
#ifndef UTIL_STR_H
#define UTIL_STR_H
#include <stdbool.h>
#include <stddef.h>

/* ASCII-only case handling: protocol keywords and domains, never locale-dependent. */
int str_casecmp(const char *a, const char *b);
int str_ncasecmp(const char *a, const char *b, size_t n);
bool str_casepfx(const char *s, const char *prefix); /* s starts with prefix, ignoring case */
void str_lower(char *s);
void str_upper(char *s);
/* Removes leading and trailing ASCII whitespace in place; returns s. */
char *str_trim(char *s);
/* Finds needle in haystack[0..len), ignoring ASCII case; returns offset or -1. */
long mem_casefind(const char *haystack, size_t len, const char *needle, size_t nlen);
/* Parses a decimal unsigned number that must fill the whole string; 0 ok, -1 bad/overflow. */
int str_to_u64(const char *s, unsigned long long *value_r);
/* Splits s on sep into a NULL-terminated array of trimmed, non-empty, xstrdup'ed items. */
char **str_split(const char *s, char sep);
void str_array_free(char ***arr);
size_t str_array_len(char *const *arr);
/* True when s has no byte >= 0x80 (is US-ASCII): for SMTPUTF8 (RFC 6531 3.4) and 8BITMIME
 * (RFC 6152) decisions. */
bool str_is_ascii(const char *s);
/* The value 0-15 of a hexadecimal digit of either case, -1 if c is not one. */
int str_hexval(char c);
/* Copies with truncation and always NUL-terminates (dst must have size > 0). */
size_t str_lcpy(char *dst, const char *src, size_t size);

#endif
