/* Reading a message body: the resumable DATA reader (RFC 5321 4.5.2 transparency, 4.1.1.4
 * end of data) hardened against SMTP smuggling, and the CRLF normalizer for BDAT chunks
 * (RFC 3030). Pure code over bytes; the output is the message with CRLF line ends. */
#ifndef MAIL_SMTP_DATA_H
#define MAIL_SMTP_DATA_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct smtp_data_reader {
	struct buf *out;
	size_t max_size; /* 0 = no limit */
	size_t size;     /* output bytes produced, counted even past max_size */
	int state;       /* private: enum in smtp_data.c */
	bool too_big;
	bool done;
};

/* Starts reading one message into out (appended to, not reset). max_size 0 means no limit. */
void smtp_data_reader_init(struct smtp_data_reader *r, struct buf *out, size_t max_size);
/* Feeds bytes received after the 354 reply. Returns 1 when the end of data <CRLF>.<CRLF> was
 * consumed (*consumed_r = bytes used from data; the rest is the next pipelined command), 0
 * when all len bytes were consumed and more is needed (*consumed_r = len). Never fails.
 * Rules: the data ends only at CRLF "." CRLF made of real CR LF pairs, with the "." right
 * after a real CRLF (or first in the data: "." CRLF first is an empty message). A bare CR or
 * bare LF is written as CRLF but starts no line, for end detection or dot-unstuffing, so
 * "\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n" never end the data. A line starting with "."
 * after a real CRLF loses that first dot. Everything else is copied byte-exact (NUL, 8-bit,
 * any line length). The CRLF before the final "." belongs to the message. After 1, further
 * calls consume nothing and return 1 again. */
int smtp_data_reader_feed(struct smtp_data_reader *r, const char *data, size_t len,
			  size_t *consumed_r);
/* True once the output passed max_size: output stopped there (out then holds a truncated
 * message to throw away), but reading goes on to the end of data. */
bool smtp_data_reader_too_big(const struct smtp_data_reader *r);
/* Size of the message as it would be stored (counted past max_size too). */
size_t smtp_data_reader_size(const struct smtp_data_reader *r);

struct crlf_normalizer {
	size_t max_size; /* 0 = no limit (the default after init) */
	size_t size;     /* output bytes produced, counted even past max_size */
	bool pending_cr; /* private: a CR ended the previous chunk */
	bool too_big;
};

/* For BDAT (RFC 3030): the chunks are raw, no dot-stuffing, no end marker. */
void crlf_normalizer_init(struct crlf_normalizer *n);
/* Sets the size limit for the following appends (0 = none). */
void crlf_normalizer_set_max_size(struct crlf_normalizer *n, size_t max_size);
/* Appends data to out with bare CR and bare LF turned into CRLF (CRLF kept), also when a CR
 * ends one chunk and the LF starts the next. Past max_size nothing more is appended. */
void crlf_normalize_append(struct crlf_normalizer *n, struct buf *out, const char *data,
			   size_t len);
/* After the LAST chunk: writes a trailing bare CR as CRLF. */
void crlf_normalize_finish(struct crlf_normalizer *n, struct buf *out);
bool crlf_normalizer_too_big(const struct crlf_normalizer *n);
size_t crlf_normalizer_size(const struct crlf_normalizer *n);

#endif
