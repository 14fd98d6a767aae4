/* The 64-bit checksum of journal records: XXH64 (public domain algorithm by Yann Collet),
 * streaming, so a record is summed without copying the message into one buffer. */
#ifndef STORE_STORE_CHECKSUM_H
#define STORE_STORE_CHECKSUM_H
#include <stddef.h>
#include <stdint.h>

struct store_checksum {
	uint64_t v[4];
	uint64_t total;
	uint8_t mem[32];
	size_t memsize;
	uint64_t seed;
};

void store_checksum_init(struct store_checksum *c, uint64_t seed);
void store_checksum_update(struct store_checksum *c, const void *data, size_t len);
uint64_t store_checksum_final(const struct store_checksum *c);
/* One-shot XXH64(data, len, seed). */
uint64_t store_checksum64(const void *data, size_t len, uint64_t seed);

#endif
