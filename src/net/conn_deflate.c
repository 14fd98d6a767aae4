/* Raw deflate both ways on a connection (RFC 4978, RFC 1951): see conn_deflate.h. */
#include "net/conn_deflate.h"

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <zlib.h>

#include "util/xmalloc.h"

/* Output space reserved per zlib call. */
#define DEFLATE_CHUNK (16 * 1024)

struct conn_deflate {
	z_stream in;  /* inflate */
	z_stream out; /* deflate */
	bool in_ok, out_ok;
	bool failed; /* the input was corrupt: everything after it is dropped */
	void (*on_error)(void *arg);
	void *arg;
};

struct conn_deflate *
conn_deflate_new(void (*on_error)(void *arg), void *arg)
{
	struct conn_deflate *z = xcalloc(1, sizeof(*z));

	z->on_error = on_error;
	z->arg = arg;
	/* RFC 4978 4: raw deflate, no zlib header (negative window bits); memLevel 8 and a
	 * 32 KiB window: about 300 KiB per compressed connection */
	z->in_ok = inflateInit2(&z->in, -15) == Z_OK;
	z->out_ok = deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
				 Z_DEFAULT_STRATEGY) == Z_OK;
	if (!z->in_ok || !z->out_ok) {
		conn_deflate_free(z);
		return NULL;
	}
	return z;
}

void
conn_deflate_free(void *ctx)
{
	struct conn_deflate *z = ctx;

	if (z == NULL)
		return;
	if (z->in_ok)
		inflateEnd(&z->in);
	if (z->out_ok)
		deflateEnd(&z->out);
	free(z);
}

enum bufferevent_filter_result
conn_deflate_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
		enum bufferevent_flush_mode mode, void *ctx)
{
	struct conn_deflate *z = ctx;
	bool progress = false;

	(void)mode;
	if (z->failed) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_ERROR; /* reported once already */
	}
	for (;;) {
		struct evbuffer_iovec vin = {NULL, 0}, vout;
		size_t used, made;
		int ret;

		/* stop at dst_limit, but never with output pending inside zlib and no more
		 * input to make it come out (at most one match: 258 bytes) */
		if (dst_limit > 0 && evbuffer_get_length(dst) >= (size_t)dst_limit &&
		    evbuffer_get_length(src) > 0)
			break;
		if (evbuffer_get_length(src) > 0 && evbuffer_peek(src, -1, NULL, &vin, 1) < 1)
			return BEV_ERROR;
		if (evbuffer_reserve_space(dst, DEFLATE_CHUNK, &vout, 1) < 1)
			return BEV_ERROR;
		z->in.next_in = vin.iov_base;
		z->in.avail_in = (uInt)vin.iov_len;
		/* the space given may be larger than asked for: stay within a chunk */
		if (vout.iov_len > DEFLATE_CHUNK)
			vout.iov_len = DEFLATE_CHUNK;
		z->in.next_out = vout.iov_base;
		z->in.avail_out = (uInt)vout.iov_len;
		ret = inflate(&z->in, Z_SYNC_FLUSH);
		if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END) {
			vout.iov_len = 0;
			evbuffer_commit_space(dst, &vout, 1);
			evbuffer_drain(src, evbuffer_get_length(src));
			z->failed = true;
			z->on_error(z->arg);
			return BEV_ERROR;
		}
		used = vin.iov_len - z->in.avail_in;
		made = vout.iov_len - z->in.avail_out;
		vout.iov_len = made;
		evbuffer_commit_space(dst, &vout, 1);
		if (used > 0)
			evbuffer_drain(src, used);
		progress |= made > 0;
		if (ret == Z_STREAM_END) {
			/* the client ended its stream: nothing more can follow (RFC 4978 4) */
			evbuffer_drain(src, evbuffer_get_length(src));
			break;
		}
		if ((used == 0 && made == 0) ||
		    (evbuffer_get_length(src) == 0 && z->in.avail_out > 0))
			break;
	}
	return progress ? BEV_OK : BEV_NEED_MORE;
}

/* One deflate() over the current input with flush, output to dst. -1 on error. */
static int
deflate_step(struct conn_deflate *z, struct evbuffer *dst, int flush, bool *done_r)
{
	struct evbuffer_iovec v;
	int ret;

	if (evbuffer_reserve_space(dst, DEFLATE_CHUNK, &v, 1) < 1)
		return -1;
	if (v.iov_len > DEFLATE_CHUNK)
		v.iov_len = DEFLATE_CHUNK;
	z->out.next_out = v.iov_base;
	z->out.avail_out = (uInt)v.iov_len;
	ret = deflate(&z->out, flush);
	if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
		return -1;
	v.iov_len -= z->out.avail_out;
	evbuffer_commit_space(dst, &v, 1);
	/* done when zlib did not fill the space: it has nothing more for now */
	*done_r = z->out.avail_out > 0;
	return 0;
}

enum bufferevent_filter_result
conn_deflate_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
		 enum bufferevent_flush_mode mode, void *ctx)
{
	struct conn_deflate *z = ctx;
	bool done = false;

	(void)dst_limit;
	(void)mode;
	if (evbuffer_get_length(src) == 0)
		return BEV_NEED_MORE;
	while (evbuffer_get_length(src) > 0) {
		struct evbuffer_iovec vin;

		if (evbuffer_peek(src, -1, NULL, &vin, 1) < 1)
			return BEV_ERROR;
		z->out.next_in = vin.iov_base;
		z->out.avail_in = (uInt)vin.iov_len;
		while (z->out.avail_in > 0) {
			if (deflate_step(z, dst, Z_NO_FLUSH, &done) < 0)
				return BEV_ERROR;
		}
		evbuffer_drain(src, vin.iov_len);
	}
	/* RFC 4978 4: a sync flush after each batch of output */
	do {
		if (deflate_step(z, dst, Z_SYNC_FLUSH, &done) < 0)
			return BEV_ERROR;
	} while (!done);
	return BEV_OK;
}
