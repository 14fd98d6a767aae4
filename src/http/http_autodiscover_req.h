/* The one thing yubin reads from an Autodiscover (POX) request: the EMailAddress element
 * of
 *   <Autodiscover xmlns="...requestschema/2006"><Request>
 *     <EMailAddress>user@example.com</EMailAddress> ...
 *
 * Why no XML library: the request is a few hundred bytes from anyone on the internet,
 * and we need the text of one element. A general XML parser (libxml2) brings DTDs,
 * external entities and entity expansion to defend against, for nothing we use; this
 * bounded scanner reads only element tags and one text node, never allocates, and is
 * fuzzed (tests/fuzz/http). Entities, CDATA and comments inside the address are refused
 * rather than interpreted (no real address needs them). */
#ifndef HTTP_HTTP_AUTODISCOVER_REQ_H
#define HTTP_HTTP_AUTODISCOVER_REQ_H
#include <stddef.h>

/* The longest address accepted (RFC 5321 4.5.3.1.3: a path is at most 256 octets, with
 * the angle brackets). */
#define AUTODISCOVER_ADDRESS_MAX 254

/* Finds the first <EMailAddress> start tag (any namespace prefix, "<a:EMailAddress>")
 * in body[0..len) and copies its text, surrounding white space trimmed, into out
 * (NUL-terminated; out_size >= AUTODISCOVER_ADDRESS_MAX + 1). Returns 0, or -1 when
 * there is no such element, its text is empty, longer than AUTODISCOVER_ADDRESS_MAX,
 * holds markup, an entity or a control character, or the body is not closed. Reads at
 * most len bytes; body need not be NUL-terminated. */
int autodiscover_request_email(const char *body, size_t len, char *out, size_t out_size);

#endif
