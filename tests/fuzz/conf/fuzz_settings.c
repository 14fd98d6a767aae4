/* libFuzzer target: the config parser on arbitrary files. A file that loads must print
 * settings that load again to the same printout (yubin check's output is a valid config). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
print_settings(const struct settings *s, size_t *len_r)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len_r);

	settings_print(s, f);
	fclose(f);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s, again;
	const char *error;
	char *text = malloc(size + 1), *first, *second;
	size_t len1, len2;

	memcpy(text, data, size);
	text[size] = '\0';
	if (settings_load_string(&s, "fuzz.conf", text, &error) == 0) {
		first = print_settings(&s, &len1);
		if (settings_load_string(&again, "fuzz.conf", first, &error) != 0)
			__builtin_trap();
		second = print_settings(&again, &len2);
		if (len1 != len2 || memcmp(first, second, len1) != 0)
			__builtin_trap();
		free(first);
		free(second);
		settings_free(&again);
		settings_free(&s);
	}
	free(text);
	return 0;
}
