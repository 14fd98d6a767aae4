/* The DATA reader (RFC 5321 4.1.1.4, 4.5.2) and the BDAT CRLF normalizer (RFC 3030).
 * Hardened against SMTP smuggling: only a real CRLF starts a line, for end-of-data and
 * dot-unstuffing alike; bare CR and bare LF are stored as CRLF. Bulk bytes go by memchr. */
#include "mail/smtp_data.h"

#include <string.h>

enum smtp_data_state {
	SMTP_DATA_STATE_BOL,    /* at the start of the data or right after a real CRLF */
	SMTP_DATA_STATE_DOT,    /* BOL "." */
	SMTP_DATA_STATE_DOT_CR, /* BOL "." CR */
	SMTP_DATA_STATE_MID,    /* inside a line */
	SMTP_DATA_STATE_CR,     /* after a CR that is not at BOL "." */
	SMTP_DATA_STATE_DONE,
};

static const char smtp_data_crlf[] = "\r\n";

void
smtp_data_reader_init(struct smtp_data_reader *r, struct buf *out, size_t max_size)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	r->max_size = max_size;
	r->state = SMTP_DATA_STATE_BOL;
}

/* Output goes on counting past max_size but stops being stored (RFC 5321 4.5.3.1.10: the
 * server reads to the end of data before answering 552). */
static void
smtp_data_emit(struct smtp_data_reader *r, const char *data, size_t len)
{
	r->size += len;
	if (r->too_big)
		return;
	if (r->max_size != 0 && r->size > r->max_size) {
		r->too_big = true;
		return;
	}
	buf_append(r->out, data, len);
}

/* Copies the bytes of a line up to the next CR (state CR, consumed) or the end of data.
 * A bare LF is written as CRLF and does not start a line. Returns the bytes consumed.
 * cr_at/lf_at cache the next CR/LF offsets so that bare line ends cost no rescans. */
static size_t
smtp_data_scan_line(struct smtp_data_reader *r, const char *data, size_t len, size_t pos,
		    size_t *cr_at, size_t *lf_at)
{
	size_t start = pos;
	const char *hit;

	for (;;) {
		if (*cr_at < pos || *cr_at == (size_t)-1) {
			hit = memchr(data + pos, '\r', len - pos);
			*cr_at = hit == NULL ? len : (size_t)(hit - data);
		}
		if (*lf_at < pos || *lf_at == (size_t)-1) {
			hit = memchr(data + pos, '\n', len - pos);
			*lf_at = hit == NULL ? len : (size_t)(hit - data);
		}
		if (*lf_at < *cr_at) {
			/* bare LF: stored as CRLF, stays inside the line */
			smtp_data_emit(r, data + pos, *lf_at - pos);
			smtp_data_emit(r, smtp_data_crlf, 2);
			pos = *lf_at + 1;
			continue;
		}
		smtp_data_emit(r, data + pos, *cr_at - pos);
		if (*cr_at == len)
			return len - start;
		r->state = SMTP_DATA_STATE_CR;
		return *cr_at + 1 - start;
	}
}

/* One byte in a boundary state. Returns true if it was consumed, false if it has to be
 * looked at again in the new state (always MID, so this cannot loop). */
static bool
smtp_data_boundary(struct smtp_data_reader *r, char c)
{
	switch (r->state) {
	case SMTP_DATA_STATE_BOL:
		if (c == '.') {
			r->state = SMTP_DATA_STATE_DOT;
			return true;
		}
		r->state = SMTP_DATA_STATE_MID;
		return false;
	case SMTP_DATA_STATE_DOT:
		if (c == '\r') {
			r->state = SMTP_DATA_STATE_DOT_CR;
			return true;
		}
		/* RFC 5321 4.5.2: the first "." of a line is removed */
		r->state = SMTP_DATA_STATE_MID;
		return false;
	case SMTP_DATA_STATE_DOT_CR:
		if (c == '\n') {
			/* RFC 5321 4.1.1.4: CRLF "." CRLF ends the data */
			r->state = SMTP_DATA_STATE_DONE;
			r->done = true;
			return true;
		}
		/* "." bare-CR: dot removed, the bare CR stored as CRLF */
		smtp_data_emit(r, smtp_data_crlf, 2);
		r->state = SMTP_DATA_STATE_MID;
		return false;
	case SMTP_DATA_STATE_CR:
		smtp_data_emit(r, smtp_data_crlf, 2);
		if (c == '\n') {
			r->state = SMTP_DATA_STATE_BOL;
			return true;
		}
		/* bare CR: stored as CRLF, stays inside the line */
		r->state = SMTP_DATA_STATE_MID;
		return false;
	default:
		return true;
	}
}

int
smtp_data_reader_feed(struct smtp_data_reader *r, const char *data, size_t len, size_t *consumed_r)
{
	size_t pos = 0, cr_at = (size_t)-1, lf_at = (size_t)-1;

	while (pos < len && r->state != SMTP_DATA_STATE_DONE) {
		if (r->state == SMTP_DATA_STATE_MID)
			pos += smtp_data_scan_line(r, data, len, pos, &cr_at, &lf_at);
		else if (smtp_data_boundary(r, data[pos]))
			pos++;
	}
	*consumed_r = pos;
	return r->state == SMTP_DATA_STATE_DONE ? 1 : 0;
}

bool
smtp_data_reader_too_big(const struct smtp_data_reader *r)
{
	return r->too_big;
}

size_t
smtp_data_reader_size(const struct smtp_data_reader *r)
{
	return r->size;
}

void
crlf_normalizer_init(struct crlf_normalizer *n)
{
	memset(n, 0, sizeof(*n));
}

void
crlf_normalizer_set_max_size(struct crlf_normalizer *n, size_t max_size)
{
	n->max_size = max_size;
}

static void
crlf_normalizer_emit(struct crlf_normalizer *n, struct buf *out, const char *data, size_t len)
{
	n->size += len;
	if (n->too_big)
		return;
	if (n->max_size != 0 && n->size > n->max_size) {
		n->too_big = true;
		return;
	}
	buf_append(out, data, len);
}

void
crlf_normalize_append(struct crlf_normalizer *n, struct buf *out, const char *data, size_t len)
{
	size_t pos = 0, cr_at = (size_t)-1, lf_at = (size_t)-1;
	const char *hit;

	if (n->pending_cr && len > 0) {
		/* CR at the end of the previous chunk: CRLF split across chunks, or bare */
		n->pending_cr = false;
		crlf_normalizer_emit(n, out, smtp_data_crlf, 2);
		if (data[0] == '\n')
			pos = 1;
	}
	while (pos < len) {
		if (cr_at < pos || cr_at == (size_t)-1) {
			hit = memchr(data + pos, '\r', len - pos);
			cr_at = hit == NULL ? len : (size_t)(hit - data);
		}
		if (lf_at < pos || lf_at == (size_t)-1) {
			hit = memchr(data + pos, '\n', len - pos);
			lf_at = hit == NULL ? len : (size_t)(hit - data);
		}
		if (cr_at == len && lf_at == len) {
			crlf_normalizer_emit(n, out, data + pos, len - pos);
			return;
		}
		if (lf_at < cr_at) {
			crlf_normalizer_emit(n, out, data + pos, lf_at - pos);
			pos = lf_at + 1;
		} else {
			crlf_normalizer_emit(n, out, data + pos, cr_at - pos);
			if (cr_at + 1 == len) {
				n->pending_cr = true;
				return;
			}
			pos = data[cr_at + 1] == '\n' ? cr_at + 2 : cr_at + 1;
		}
		crlf_normalizer_emit(n, out, smtp_data_crlf, 2);
	}
}

void
crlf_normalize_finish(struct crlf_normalizer *n, struct buf *out)
{
	if (n->pending_cr) {
		n->pending_cr = false;
		crlf_normalizer_emit(n, out, smtp_data_crlf, 2);
	}
}

bool
crlf_normalizer_too_big(const struct crlf_normalizer *n)
{
	return n->too_big;
}

size_t
crlf_normalizer_size(const struct crlf_normalizer *n)
{
	return n->size;
}
