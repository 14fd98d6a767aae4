/* libFuzzer target: the SASL PLAIN and LOGIN decoders (RFC 4616, RFC 4954) on arbitrary
 * client responses; a decoded PLAIN message must have non-empty, NUL-free fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *user, *pass, *value;
	const char *error;

	memcpy(text, data, size);
	text[size] = '\0';
	if (sasl_plain_decode(text, &user, &pass, &error) == 0) {
		if (*user == '\0' || *pass == '\0')
			__builtin_trap();
		free(user);
		sasl_secret_free(&pass);
	}
	if (sasl_plain_parse(data, size, &user, &pass, &error) == 0) {
		free(user);
		sasl_secret_free(&pass);
	}
	if (sasl_login_decode(text, &value, &error) == 0) {
		if (*value == '\0' || strlen(value) > 1024) /* SASL_PASSWD_MAX */
			__builtin_trap();
		free(value);
	}
	(void)sasl_is_cancel(text);
	free(text);
	return 0;
}
