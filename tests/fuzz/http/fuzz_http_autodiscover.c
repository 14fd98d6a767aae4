/* libFuzzer target: the Autodiscover request extractor on arbitrary bodies (they come from
 * anyone on the internet). The input is copied to a buffer of exactly its size, without a
 * NUL, so a read past len is an ASan report; the result must be a NUL-terminated address
 * within the limit, without markup or control characters, and the Accept-Language picker
 * gets the same bytes as a header. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_autodiscover_req.h"
#include "http/http_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[AUTODISCOVER_ADDRESS_MAX + 1];
	char *copy = malloc(size > 0 ? size : 1), *text;

	memcpy(copy, data, size);
	if (autodiscover_request_email(copy, size, out, sizeof(out)) == 0) {
		size_t n = strnlen(out, sizeof(out));
		if (n == 0 || n > AUTODISCOVER_ADDRESS_MAX)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x21 || strchr("<>&\"'", out[i]) != NULL)
				__builtin_trap();
	}
	free(copy);
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)http_lang_pick(text);
	free(text);
	return 0;
}
