/* Randomness from the kernel (getrandom), and the ids built from it. */
#ifndef UTIL_RAND_H
#define UTIL_RAND_H
#include <stddef.h>
#include <stdint.h>

void rand_bytes(void *out, size_t len);
uint32_t rand_u32(void);
/* Uniform in [0, n). n > 0. */
uint32_t rand_below(uint32_t n);
/* A queue/message id: 16 upper-case hex digits from time and randomness, unique
 * enough to follow one message through the logs. out must hold 17 bytes. */
void rand_queue_id(char out[17]);
/* 32 lower-case hex digits of fresh randomness; out must hold 33 bytes. */
void rand_hex_guid(char out[33]);

#endif
