/* Kernel randomness and ids (see rand.h). */
#include "util/rand.h"

#include <errno.h>
#include <stdbool.h>
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
	static uint32_t next; /* 0: not started */
	struct timespec ts;
	uint32_t n;

	/* The second half must never repeat within the process: a random 32-bit value per
	 * id collides among 20,000 ids of one second 4.6% of the time (birthday bound), and
	 * the queue names spool files by id. A counter from a random start is unique for
	 * 2^32 ids per second; the random start keeps other processes (yubin sendmail)
	 * apart. */
	n = __atomic_load_n(&next, __ATOMIC_RELAXED);
	if (n == 0) {
		uint32_t start = rand_u32() | 1;

		__atomic_compare_exchange_n(&next, &n, start, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	}
	n = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_REALTIME, &ts);
	/* time first so ids sort roughly by arrival, as Postfix's do */
	snprintf(out, 17, "%08X%08X", (uint32_t)ts.tv_sec, n);
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
