/* libFuzzer target: IMAP URLs of CATENATE, URLAUTH and BURL (imap_url_parse, RFC 5092,
 * RFC 4469 5, RFC 4467 9) on raw bytes: every success names a mailbox and a non-zero UID
 * (and with URLAUTH an access identifier, a rump inside the URL, a token with its
 * mechanism), every refusal says why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "mail/imap_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_url u;
	const char *error = NULL;

	if (imap_url_parse((const char *)data, size, &u, &error) == 0) {
		if (u.mailbox == NULL || *u.mailbox == '\0' || u.uid == 0 ||
		    (u.section != NULL && *u.section == '\0'))
			__builtin_trap();
		if (u.access != NULL && (u.rump_len == 0 || u.rump_len > size ||
					 (u.mechanism == NULL) != (u.token == NULL)))
			__builtin_trap();
		free(imap_url_owner(&u));
	} else if (error == NULL) {
		__builtin_trap();
	}
	imap_url_free(&u);
	return 0;
}
