/* Journal records (src/store/README.md "Journal"): encoding of a delivery / append / cancel
 * record and a pure parser over a byte buffer that tells a complete, checksummed record
 * from a torn tail or garbage. No I/O here. */
#ifndef STORE_STORE_RECORD_H
#define STORE_STORE_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

#define STORE_RECORD_MAGIC 0x4e524a59u /* "YJRN" little-endian */
#define STORE_RECORD_HEADER 40
#define STORE_RECORD_ID_LEN 16

enum store_record_type {
	STORE_RECORD_DELIVER = 1, /* a missing target mailbox falls back to INBOX */
	STORE_RECORD_APPEND = 2,  /* a missing target mailbox fails */
	STORE_RECORD_CANCEL = 3,  /* the record with this id failed: never apply it */
};
/* Or'ed into the type on disk: the payload has an i32 after the internaldate, its zone
 * (seconds east of UTC, an APPEND's date-time). Records without it (all older ones, and
 * those whose zone is +0000) parse as zone 0. */
#define STORE_RECORD_FLAG_TZ 0x100u

struct store_rec_target {
	char *account;
	char *mailbox; /* NULL = INBOX */
	uint32_t flags;
	char **keywords;
	size_t n_keywords;
	const char *prefix; /* points into the record (or the caller's copy) */
	size_t prefix_len;
};

struct store_rec {
	enum store_record_type type;
	uint8_t id[STORE_RECORD_ID_LEN];
	int64_t internaldate;
	int32_t internaldate_tz; /* seconds east of UTC */
	struct store_rec_target *targets;
	size_t n_targets;
	const char *msg; /* points into the record (or the caller's copy) */
	size_t msg_len;
};

/* Encodes everything but the message bytes into head (header + targets + msg length),
 * with the checksum over head and rec->msg filled in: the record is head followed by
 * rec->msg. Names longer than 65535 bytes are a caller bug. */
void store_record_encode(const struct store_rec *rec, struct buf *head);

/* Parses one record at data[0..avail). 1: complete and valid, *rec filled (strings
 * allocated, prefix/msg pointing into data; free with store_record_free()), *len_r its
 * size. 0: too short for the record it announces (a torn tail). -1: not a valid record. */
int store_record_parse(const void *data, size_t avail, struct store_rec *rec, size_t *len_r);
/* Frees what parse allocated (account, mailbox, keywords, targets). */
void store_record_free(struct store_rec *rec);

#endif
