/* libFuzzer target: the maildrop file parser (src/queue/queue_maildrop.c), which reads files
 * any local user can write. A parsed file's envelope holds no control characters, its message
 * lies inside the input, formatting the envelope again parses back to the same, and the
 * pickup's CRLF normalization leaves no bare CR or LF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_maildrop.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

/* the pickup's normalization: only CRLF line ends, nothing lost but bare CR/LF turned
 * into CRLF, and idempotent */
static void
check_crlf(const struct queue_maildrop *md)
{
	struct buf b = BUF_INIT, again = BUF_INIT;
	size_t i;

	queue_maildrop_crlf(&b, md->msg, md->msg_len);
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '\r' && (i + 1 == b.len || b.data[i + 1] != '\n'))
			abort();
		if (b.data[i] == '\n' && (i == 0 || b.data[i - 1] != '\r'))
			abort();
	}
	if (b.len < md->msg_len)
		abort();
	queue_maildrop_crlf(&again, buf_cstr(&b), b.len);
	if (again.len != b.len || (b.len > 0 && memcmp(again.data, b.data, b.len) != 0))
		abort();
	buf_free(&b);
	buf_free(&again);
}

/* format(envelope) + message parses back to the same envelope and message */
static void
check_roundtrip(const struct queue_maildrop *md)
{
	struct queue_maildrop again;
	struct buf b = BUF_INIT;
	const char *error;
	size_t i;

	queue_maildrop_format(&b, md->sender, (const char *const *)md->rcpts);
	buf_append(&b, md->msg, md->msg_len);
	if (queue_maildrop_parse(b.data, b.len, &again, &error) != 0)
		abort();
	if (strcmp(again.sender, md->sender) != 0 || again.msg_len != md->msg_len ||
	    memcmp(again.msg, md->msg, md->msg_len) != 0)
		abort();
	for (i = 0; md->rcpts[i] != NULL; i++)
		if (again.rcpts[i] == NULL || strcmp(again.rcpts[i], md->rcpts[i]) != 0)
			abort();
	if (again.rcpts[i] != NULL)
		abort();
	queue_maildrop_clear(&again);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that ASan sees any read past the end */
	char *in = xmalloc(size ? size : 1);
	struct queue_maildrop md;
	const char *error = NULL;
	size_t i;

	memcpy(in, data, size);
	if (queue_maildrop_parse(in, size, &md, &error) == 0) {
		if (md.sender == NULL || md.rcpts == NULL || md.rcpts[0] == NULL || md.msg < in ||
		    md.msg + md.msg_len != in + size)
			abort();
		check_clean(md.sender);
		for (i = 0; md.rcpts[i] != NULL; i++)
			check_clean(md.rcpts[i]);
		check_roundtrip(&md);
		check_crlf(&md);
		queue_maildrop_clear(&md);
	} else if (error == NULL) {
		abort();
	}
	free(in);
	return 0;
}
