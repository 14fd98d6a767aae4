/* RFC 5321 4.1.2 mailbox addresses: Mailbox = Local-part "@" ( Domain / address-literal ),
 * with RFC 6531 3.3 UTF-8 in local parts and domain labels. Parsing, canonical forms for
 * lookups (domain lower-cased, +tag removed), formatting with quoting where needed. */
#ifndef MAIL_ADDRESS_H
#define MAIL_ADDRESS_H
#include <stdbool.h>

struct address {
	char *local;  /* unquoted and unescaped: "\"a b\"@x" gives "a b" */
	char *domain; /* as given (case kept); an address literal keeps its brackets "[1.2.3.4]" */
};

/* Parses a mailbox (no angle brackets, no source route). Local part: Dot-string or
 * Quoted-string; domain: LDH/UTF-8 labels (each <= 63 octets, total <= 255) or an address
 * literal [IPv4], [IPv6:...] checked with inet_pton, or [tag:content] (RFC 5321 4.1.3).
 * Non-ASCII octets must form valid UTF-8. Rejects "" (the null path <>) and a bare
 * "Postmaster". Returns 0, or -1 with *error_r a static description (not a reply line);
 * *addr_r is left empty on error. */
int address_parse(const char *s, struct address *addr_r, const char **error_r);
/* Frees the fields and zeroes addr; safe on a zeroed or cleared addr. */
void address_clear(struct address *addr);
bool address_is_valid(const char *s);
/* Formats local@domain, quoting the local part (RFC 5321 Quoted-string) only when it is not
 * a valid Dot-string. Newly allocated. */
char *address_format(const struct address *addr);
/* Canonical lookup key: "User+tag@Example.TEST" -> "User@example.test". The local part is
 * unquoted (re-quoted only if needed) and kept in its case; the part from the first delim
 * on is removed unless delim is '\0' or that would leave it empty; the domain is lower-cased
 * (ASCII only). Returns NULL when s is not a valid address. Newly allocated. */
char *address_canonical(const char *s, char delim);
/* The domain grammar alone (also for EHLO/HELO arguments): a Domain or an address-literal. */
bool address_domain_is_valid(const char *domain);

#endif
