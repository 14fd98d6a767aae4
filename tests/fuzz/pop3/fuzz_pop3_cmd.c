/* libFuzzer target: the POP3 command parser on arbitrary lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pop3/pop3_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_cmd cmd;
	const char *error;
	unsigned n;

	if (pop3_cmd_parse((const char *)data, size, &cmd, &error) == 0) {
		if (cmd.n_args > 0 && cmd.n_args <= 2) {
			if (strlen(cmd.args[0]) >= sizeof(cmd.args[0]))
				__builtin_trap();
			(void)pop3_cmd_msgnum(cmd.args[0], 1000, &n);
		}
	}
	return 0;
}
