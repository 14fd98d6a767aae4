/* A virus scan of one message by clamd (ClamAV's daemon), over its INSTREAM command
 * (clamd(8) "zINSTREAM": chunks of <4-byte big-endian length><data>, a zero-length chunk
 * ends the stream; the reply "stream: OK", "stream: <signature> FOUND" or "... ERROR"). */
#ifndef FILTER_CLAMD_H
#define FILTER_CLAMD_H
#include <stddef.h>

struct event_base;
struct clamd_scan;

enum clamd_result {
	CLAMD_CLEAN,
	CLAMD_VIRUS, /* detail: the signature name */
	CLAMD_ERROR, /* detail: why (clamd down, late, its own error) */
};

typedef void clamd_done_fn(void *ctx, enum clamd_result result, const char *detail);

/* Streams data[0..len) (which must stay unchanged until done or cancel) to clamd at spec
 * ("unix:/path" or "inet:host:port"). At most max_stream bytes are sent (clamd's
 * StreamMaxLength: past it clamd answers "size limit exceeded" and scans nothing; what it
 * scans of a longer message is its start). `done` runs once, from the loop, never inside
 * this call; timeout_s bounds the connect and the wait for each read. */
struct clamd_scan *clamd_scan_start(struct event_base *base, const char *spec, unsigned timeout_s,
				    size_t max_stream, const char *data, size_t len,
				    clamd_done_fn *done, void *ctx);
/* Stops a scan: `done` will not run. NULL is fine. */
void clamd_scan_cancel(struct clamd_scan *sc);

#endif
