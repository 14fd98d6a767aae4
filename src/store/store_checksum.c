/* XXH64, streaming (see store_checksum.h). Little-endian reads via memcpy, so it gives
 * the reference values on any host and needs no alignment. */
#include "store/store_checksum.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t
read64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t
read32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint64_t
round64(uint64_t acc, uint64_t input)
{
	acc += input * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static inline uint64_t
merge64(uint64_t acc, uint64_t val)
{
	acc ^= round64(0, val);
	return acc * P1 + P4;
}

void
store_checksum_init(struct store_checksum *c, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->v[0] = seed + P1 + P2;
	c->v[1] = seed + P2;
	c->v[2] = seed;
	c->v[3] = seed - P1;
}

static const uint8_t *
stripes(uint64_t v[4], const uint8_t *p, const uint8_t *end)
{
	while (p + 32 <= end) {
		v[0] = round64(v[0], read64(p));
		v[1] = round64(v[1], read64(p + 8));
		v[2] = round64(v[2], read64(p + 16));
		v[3] = round64(v[3], read64(p + 24));
		p += 32;
	}
	return p;
}

void
store_checksum_update(struct store_checksum *c, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + len;

	c->total += len;
	if (c->memsize + len < 32) {
		memcpy(c->mem + c->memsize, p, len);
		c->memsize += len;
		return;
	}
	if (c->memsize > 0) {
		size_t fill = 32 - c->memsize;

		memcpy(c->mem + c->memsize, p, fill);
		stripes(c->v, c->mem, c->mem + 32);
		p += fill;
		c->memsize = 0;
	}
	p = stripes(c->v, p, end);
	c->memsize = (size_t)(end - p);
	memcpy(c->mem, p, c->memsize);
}

uint64_t
store_checksum_final(const struct store_checksum *c)
{
	const uint8_t *p = c->mem, *end = c->mem + c->memsize;
	uint64_t h;

	if (c->total >= 32) {
		h = rotl64(c->v[0], 1) + rotl64(c->v[1], 7) + rotl64(c->v[2], 12) +
		    rotl64(c->v[3], 18);
		for (int i = 0; i < 4; i++)
			h = merge64(h, c->v[i]);
	} else {
		h = c->seed + P5;
	}
	h += c->total;
	while (p + 8 <= end) {
		h ^= round64(0, read64(p));
		h = rotl64(h, 27) * P1 + P4;
		p += 8;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)read32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (*p) * P5;
		h = rotl64(h, 11) * P1;
		p++;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t
store_checksum64(const void *data, size_t len, uint64_t seed)
{
	struct store_checksum c;

	store_checksum_init(&c, seed);
	store_checksum_update(&c, data, len);
	return store_checksum_final(&c);
}
