/* libFuzzer target: IMAP BINARY's CTE code (src/mail/mime_cte.c) on hostile input: the
 * decoders never produce more than their input allows, and an APPENDed message whose
 * "binary" parts were re-encoded in base64 has the same part tree, every such part
 * decoding back to its original bytes and no NUL left outside the untouched parts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/mime.h"
#include "mail/mime_cte.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_decoders(const char *s, size_t len)
{
	struct buf out = BUF_INIT;

	mime_cte_qp_decode(s, len, &out);
	if (out.len > len)
		__builtin_trap();
	buf_reset(&out);
	if (mime_cte_decode(MIME_ENC_BASE64, s, len, &out) < 0 || out.len > len / 4 * 3 + 3)
		__builtin_trap();
	buf_free(&out);
}

static void
check_binary_to_base64(const char *msg, size_t len)
{
	struct mime_tree a, b;
	struct buf out = BUF_INIT, dec = BUF_INIT;

	if (!mime_cte_binary_to_base64(msg, len, &out))
		return;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	mime_tree_parse(&a, msg, len);
	mime_tree_parse(&b, out.data, out.len);
	if (a.nparts != b.nparts)
		__builtin_trap();
	for (size_t k = 0; k < a.nparts; k++) {
		const struct mime_part *pa = &a.parts[k], *pb = &b.parts[k];

		if (pa->enc != MIME_ENC_BINARY || pa->nchildren > 0 ||
		    (pa->flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) != 0)
			continue;
		if (pb->enc != MIME_ENC_BASE64)
			__builtin_trap();
		buf_reset(&dec);
		mime_cte_decode(pb->enc, out.data + mime_part_body_off(pb), pb->body_size, &dec);
		if (dec.len != pa->body_size ||
		    (dec.len > 0 && memcmp(dec.data, msg + mime_part_body_off(pa), dec.len) != 0))
			__builtin_trap();
	}
	mime_tree_free(&a);
	mime_tree_free(&b);
	buf_free(&out);
	buf_free(&dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	check_decoders((const char *)data, size);
	check_binary_to_base64((const char *)data, size);
	return 0;
}
