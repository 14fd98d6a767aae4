/* libFuzzer target: milter reply framing and decoding (src/mail/milter_proto.c), the bytes a
 * hostile or broken filter could send. Every packet found lies inside the input, every
 * decoded string inside its payload and NUL-terminated there. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/milter_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_inside(const char *s, const char *payload, size_t plen)
{
	if (s == NULL)
		return;
	if (s < payload || s >= payload + plen ||
	    memchr(s, '\0', plen - (size_t)(s - payload)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t off = 0;

	while (off < size) {
		char cmd;
		const char *payload;
		size_t plen, used;
		struct milter_reply r;
		int ret = milter_frame(in + off, size - off, 4096, &cmd, &payload, &plen, &used);

		if (ret <= 0)
			break;
		if (used > size - off || payload + plen != in + off + used)
			abort();
		if (milter_parse_reply(cmd, payload, plen, &r) == 0) {
			check_inside(r.str1, payload, plen);
			check_inside(r.str2, payload, plen);
			if (r.cmd == MILTER_R_OPTNEG) {
				const char *p = r.symlists, *macros;
				size_t len = r.symlists_len;
				uint32_t stage;

				while (milter_symlist_next(&p, &len, &stage, &macros) == 1)
					check_inside(macros, payload, plen);
			}
			if (r.cmd == MILTER_R_REPLYCODE && r.str1[0] != '4' && r.str1[0] != '5')
				abort();
		}
		off += used;
	}
	return 0;
}
