/* The language of the settings page from Accept-Language (RFC 9110 12.5.4). */
#ifndef HTTP_HTTP_LANG_H
#define HTTP_HTTP_LANG_H

enum http_lang { HTTP_LANG_EN, HTTP_LANG_JA };

/* The supported language the client prefers most (highest q; the first of equal q),
 * English when the header is NULL, empty, malformed or names neither. Pure; reads at
 * most the first 64 entries. */
enum http_lang http_lang_pick(const char *accept_language);

#endif
