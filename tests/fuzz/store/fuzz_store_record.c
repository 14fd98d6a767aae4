/* libFuzzer target: the store's journal record parser, which reads whatever a crash left
 * on disk. Two parts: (1) the input as journal bytes: a record that parses re-encodes to
 * the same bytes and never reaches past the buffer; (2) a record built from the input is
 * encoded, must parse back to the same fields, every truncation of it must read as a torn
 * tail (0), and a flipped byte must never be accepted as a different record. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store_record.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse_walk(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct store_rec rec;
		struct buf head = BUF_INIT;
		size_t len = 0;

		if (store_record_parse(data + off, size - off, &rec, &len) <= 0)
			break;
		if (len == 0 || len > size - off)
			__builtin_trap();
		store_record_encode(&rec, &head);
		if (head.len > len || memcmp(head.data, data + off, head.len) != 0)
			__builtin_trap();
		buf_free(&head);
		store_record_free(&rec);
		off += len;
	}
}

/* Takes a NUL-free string of at most max bytes from the input. */
static char *
take_str(const uint8_t **p, const uint8_t *end, char *out, size_t max)
{
	size_t n = 0;

	while (*p < end && n < max && **p != 0)
		out[n++] = (char)*(*p)++;
	if (*p < end)
		(*p)++;
	out[n] = '\0';
	return out;
}

static void
roundtrip(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char account[40], mailbox[40], kw[40];
	char *keywords[1] = {kw};
	struct store_rec_target t;
	struct store_rec rec, back;
	struct buf rec_bytes = BUF_INIT;
	size_t len, cut;

	if (size < 4)
		return;
	memset(&rec, 0, sizeof(rec));
	memset(&t, 0, sizeof(t));
	rec.type = (enum store_record_type)(data[0] % 2 + 1); /* DELIVER or APPEND */
	memcpy(rec.id, data, size < sizeof(rec.id) ? size : sizeof(rec.id));
	rec.internaldate = (int64_t)data[1] << 20;
	p += 4;
	t.account = take_str(&p, end, account, sizeof(account) - 1);
	if (account[0] == '\0')
		strcpy(account, "a@b"); /* the store never writes a nameless target */
	t.mailbox = data[2] & 1 ? take_str(&p, end, mailbox, sizeof(mailbox) - 1) : NULL;
	t.flags = data[3] & 0x1f;
	t.keywords = data[2] & 2 ? keywords : NULL;
	t.n_keywords = data[2] & 2 ? 1 : 0;
	if (t.n_keywords && take_str(&p, end, kw, sizeof(kw) - 1)[0] == '\0')
		strcpy(kw, "$k"); /* nor an empty keyword */
	if (t.mailbox != NULL && mailbox[0] == '\0')
		strcpy(mailbox, "m"); /* nor an empty mailbox name */
	t.prefix = (const char *)p;
	t.prefix_len = (size_t)(end - p) / 4;
	rec.targets = &t;
	rec.n_targets = 1;
	rec.msg = (const char *)p + t.prefix_len;
	rec.msg_len = (size_t)(end - p) - t.prefix_len;
	store_record_encode(&rec, &rec_bytes);
	buf_append(&rec_bytes, rec.msg, rec.msg_len);
	if (store_record_parse(rec_bytes.data, rec_bytes.len, &back, &len) != 1 ||
	    len != rec_bytes.len || back.n_targets != 1 || back.msg_len != rec.msg_len ||
	    memcmp(back.msg, rec.msg, rec.msg_len) != 0 ||
	    strcmp(back.targets[0].account, account) != 0 ||
	    back.targets[0].prefix_len != t.prefix_len || back.targets[0].flags != t.flags ||
	    back.targets[0].n_keywords != t.n_keywords)
		__builtin_trap();
	store_record_free(&back);
	/* a torn tail is never a record */
	cut = data[1] % rec_bytes.len;
	if (store_record_parse(rec_bytes.data, cut, &back, &len) == 1)
		__builtin_trap();
	/* one corrupted byte is caught by the checksum or the structure checks */
	rec_bytes.data[data[3] % rec_bytes.len] ^= (char)(data[2] | 1);
	if (store_record_parse(rec_bytes.data, rec_bytes.len, &back, &len) == 1)
		__builtin_trap();
	buf_free(&rec_bytes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_walk(data, size);
	roundtrip(data, size);
	return 0;
}
