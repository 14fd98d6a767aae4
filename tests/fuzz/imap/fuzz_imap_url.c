/* libFuzzer target: IMAP URLs of CATENATE (imap_url_parse, RFC 5092 / RFC 4469 5) on raw
 * bytes: every success names a mailbox and a non-zero UID, every refusal says why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imap/imap_catenate.h"

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
	} else if (error == NULL) {
		__builtin_trap();
	}
	imap_url_free(&u);
	return 0;
}
