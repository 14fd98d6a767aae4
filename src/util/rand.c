/* Kernel randomness and ids (see rand.h). */
#include "util/rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

void
rand_bytes(void *out, size_t len)
{
	unsigned char *p = out;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort(); /* no randomness: nothing secure can be done */
		}
		p += n;
		len -= (size_t)n;
	}
}

uint32_t
rand_u32(void)
{
	uint32_t v;

	rand_bytes(&v, sizeof(v));
	return v;
}

uint32_t
rand_below(uint32_t n)
{
	uint32_t limit = UINT32_MAX - UINT32_MAX % n;
	uint32_t v;

	do
		v = rand_u32();
	while (v >= limit);
	return v % n;
}

void
rand_queue_id(char out[17])
{
	struct timespec ts;
	uint32_t r = rand_u32();

	clock_gettime(CLOCK_REALTIME, &ts);
	/* time first so ids sort roughly by arrival, as Postfix's do */
	snprintf(out, 17, "%08X%08X", (uint32_t)ts.tv_sec, (uint32_t)(ts.tv_nsec ^ r));
}

void
rand_hex_guid(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int i;

	rand_bytes(b, sizeof(b));
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = '\0';
}
