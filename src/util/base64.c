/* Base64 encoding and decoding (see base64.h). */
#include "util/base64.h"

#include "util/buf.h"
#include "util/xmalloc.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void
base64_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	buf_reserve(out, xsize_mul(len / 3 + 1, 4)); /* (len + 2) / 3 * 4 could wrap */
	for (i = 0; i + 2 < len; i += 3) {
		buf_appendc(out, b64[p[i] >> 2]);
		buf_appendc(out, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_appendc(out, b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		buf_appendc(out, b64[p[i + 2] & 63]);
	}
	if (i < len) {
		buf_appendc(out, b64[p[i] >> 2]);
		if (i + 1 < len) {
			buf_appendc(out, b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
			buf_appendc(out, b64[(p[i + 1] & 15) << 2]);
		} else {
			buf_appendc(out, b64[(p[i] & 3) << 4]);
			buf_appendc(out, '=');
		}
		buf_appendc(out, '=');
	}
}

int
base64_decode(struct buf *out, const char *data, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i, pad = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		int v;
		if (data[i] == '=') {
			pad++;
			if (pad > 2 || i + 3 - pad < len - 1)
				return -1;
			continue;
		}
		if (pad > 0)
			return -1;
		v = b64_val((unsigned char)data[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_appendc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

void
base64_decode_lenient(struct buf *out, const char *data, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int v;
		if (data[i] == '=')
			break;
		v = b64_val((unsigned char)data[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_appendc(out, (char)((acc >> bits) & 0xff));
		}
	}
}
