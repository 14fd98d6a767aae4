/* xtext (RFC 3461 4): the encoding of DSN ENVID/ORCPT and AUTH= values:
 * xchar = "!".."~" except "+" and "="; other octets as "+" 2 upper-case HEXDIG. */
#ifndef MAIL_XTEXT_H
#define MAIL_XTEXT_H
#include <stdbool.h>
#include <stddef.h>

/* Encodes len octets; newly allocated NUL-terminated string. */
char *xtext_encode(const char *data, size_t len);
/* Decodes s; returns a newly allocated string, or NULL when s is not valid xtext (a bad
 * octet, a "+" not followed by two upper-case hex digits, or a decoded NUL). */
char *xtext_decode(const char *s);
bool xtext_is_valid(const char *s);

#endif
