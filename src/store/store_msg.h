/* Messages of a selected mailbox (through a store_view): metadata kept in the index at
 * delivery (ENVELOPE, BODY, BODYSTRUCTURE, the MIME parts blob, search fields), the
 * message bytes for streaming, and the changes IMAP and POP3 make: flags, expunge, copy,
 * move, append. Messages are addressed by UID; IMAP maps sequence numbers with the view. */
#ifndef STORE_STORE_MSG_H
#define STORE_STORE_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct store_account;
struct store_view;

struct store_blob {
	const char *data; /* not NUL-terminated; NULL when not asked for */
	size_t len;
};

/* What to read besides the always-present fixed fields (uid, flags, keywords, modseq,
 * internaldate, size). Ask only for what is used: every column costs per message. */
enum store_msg_field {
	STORE_MSG_ENVELOPE = 1 << 0,
	STORE_MSG_BODY = 1 << 1, /* BODY (no extension data) */
	STORE_MSG_BODYSTRUCTURE = 1 << 2,
	STORE_MSG_PARTS = 1 << 3,       /* msg_summary parts blob (mime_parts), the header */
	STORE_MSG_SEARCH = 1 << 4,      /* subject, from, to, cc, message_id */
	STORE_MSG_HEADER_INFO = 1 << 5, /* header_size, body_lines, sent_date, sent_tz */
	STORE_MSG_SORT = 1 << 6,        /* sortkeys (NULL in rows from before schema 2) */
	/* the message file's name: store_msg_read_meta() then opens it without a lookup */
	STORE_MSG_FILE = 1 << 7,
};
#define STORE_MSG_FIELDS_ALL 255
/* the fields that are msgdata columns (the others are in the messages row) */
#define STORE_MSG_FIELDS_MSGDATA 127

struct store_msg_meta {
	uint32_t uid;
	uint32_t flags;    /* stored flags (no \Recent: that is in the view) */
	uint64_t keywords; /* bits of the mailbox's keyword list (store_view_keywords) */
	uint64_t modseq;
	time_t internaldate;
	long internaldate_tz; /* its zone, seconds east of UTC (an APPEND's; else 0) */
	uint64_t size;        /* RFC822.SIZE = file size, CRLF line ends */
	/* STORE_MSG_HEADER_INFO (else 0) */
	uint64_t header_size; /* top-level header incl. the blank line */
	uint64_t body_lines;
	time_t sent_date; /* Date: header, UTC; 0 if none */
	long sent_tz;
	struct store_blob envelope, body, bodystructure, parts;
	/* with STORE_MSG_PARTS: the top-level header (bytes 0..header_size of the file, blank
	 * line included) when the index has it (delivered since schema step 3), else NULL */
	struct store_blob header;
	struct store_blob subject, from, to, cc, message_id; /* decoded UTF-8 */
	struct store_blob sortkeys; /* mail/msg_sortkeys.h blob; data NULL when not built yet */
	struct store_blob file;     /* STORE_MSG_FILE (else data NULL) */
};

/* Reads uid's metadata. 1 found, 0 no such message (expunged), -1 error. Blobs (NUL-
 * terminated copies) stay valid until the next store_msg_get() on the same account. */
int store_msg_get(struct store_view *view, uint32_t uid, unsigned fields,
		  struct store_msg_meta *meta_r, const char **error_r);

/* Walks the messages with uid_lo <= UID <= uid_hi in UID order (one query: use it for
 * FETCH 1:* and SEARCH over many messages). flags, keywords and modseq are left 0: take
 * them from the view (what the session shows; not read per row). Blobs (not
 * NUL-terminated) stay valid until the next step. Close it at the end of the command: an open
 * cursor holds a read transaction on the account's index. */
struct store_msg_cursor;
struct store_msg_cursor *store_msg_cursor_open(struct store_view *view, uint32_t uid_lo,
					       uint32_t uid_hi, unsigned fields);
/* 1 a message, 0 the end, -1 error. */
int store_msg_cursor_next(struct store_msg_cursor *cur, struct store_msg_meta *meta_r,
			  const char **error_r);
void store_msg_cursor_close(struct store_msg_cursor **cur);

/* Stores the sortkeys blob (mail/msg_sortkeys.h) of messages whose rows have none (rows
 * from before it was kept; the caller built it from the header), in one transaction
 * without fsync (the index can always rebuild it). Copies share nothing: each row named
 * is updated. 0 or -1 (the blobs are then built again next time). */
int store_msg_set_sortkeys(struct store_view *view, const uint32_t *uids,
			   const struct store_blob *blobs, size_t n, const char **error_r);

/* Opens the message bytes read-only (O_CLOEXEC) for streaming (pread, sendfile,
 * evbuffer_add_file). Returns the fd and *size_r, or -1 with *error_r (errcode
 * STORE_ERR_NONEXISTENT when expunged). The file never changes while it exists, and an
 * open fd stays readable after an expunge. */
int store_msg_open(struct store_view *view, uint32_t uid, uint64_t *size_r, const char **error_r);
/* store_msg_open() and store_msg_read() of the message meta was read for: by meta->file
 * when it has it (STORE_MSG_FILE; one index lookup less, as for a FETCH BODY[]), else by
 * meta->uid. */
int store_msg_open_meta(struct store_view *view, const struct store_msg_meta *meta,
			uint64_t *size_r, const char **error_r);
int store_msg_read_meta(struct store_view *view, const struct store_msg_meta *meta, uint64_t offset,
			uint64_t len, struct buf *out, const char **error_r);
/* Appends bytes [offset, offset+len) of the message to out (clipped to its size). */
int store_msg_read(struct store_view *view, uint32_t uid, uint64_t offset, uint64_t len,
		   struct buf *out, const char **error_r);

enum store_flags_mode {
	STORE_FLAGS_ADD,     /* +FLAGS */
	STORE_FLAGS_REMOVE,  /* -FLAGS */
	STORE_FLAGS_REPLACE, /* FLAGS */
};

struct store_flags_result {
	/* RFC 7162 3.1.3 UNCHANGEDSINCE: UIDs whose MODSEQ was greater (not changed) */
	uint32_t *failed_uids;
	size_t n_failed;
	/* UIDs whose flags or keywords changed (each got the new modseq) */
	uint32_t *changed_uids;
	size_t n_changed;
	uint64_t modseq;       /* the MODSEQ given to the changed messages (one per operation) */
	bool keywords_changed; /* the mailbox keyword list grew (the view has it): send FLAGS */
};

/* STORE on uids (ascending or not; UIDs not in the mailbox are ignored). flags are
 * STORE_FLAG_* within STORE_FLAGS_STORABLE; keywords are added to the mailbox's list as
 * needed (STORE_ERR_LIMIT past 64). unchangedsince 0 = no check. Messages whose flags
 * would not change keep their MODSEQ. The view's entries are updated. Free the result
 * with store_flags_result_free(). Needs a read-write view. */
int store_view_store_flags(struct store_view *view, const uint32_t *uids, size_t n_uids,
			   enum store_flags_mode mode, uint32_t flags, const char *const *keywords,
			   size_t n_keywords, uint64_t unchangedsince,
			   struct store_flags_result *res, const char **error_r);
void store_flags_result_free(struct store_flags_result *res);

/* Expunges uids (whatever their flags: the caller picks the \Deleted ones); durable once
 * store_account_sync() calls back (answer the client from there). They
 * are remembered with their MODSEQ for VANISHED. Every view (this one too) reports them
 * on its next refresh with STORE_REFRESH_EXPUNGE. Needs a read-write view. */
int store_view_expunge(struct store_view *view, const uint32_t *uids, size_t n_uids,
		       const char **error_r);

/* COPY (RFC 3501 6.4.7) or MOVE (RFC 6851) of uids (ascending) to mailbox dest (may be the
 * same mailbox), with flags and keywords (not \Recent), without copying bytes; durable once
 * store_account_sync() calls back.
 * The UIDs in the mailbox are mapped (src_uids[i] -> dst_uids[i]) for COPYUID (RFC 4315);
 * UIDs not in the mailbox are skipped. STORE_ERR_NONEXISTENT if dest does not exist
 * (TRYCREATE). Free with store_copy_result_free(). */
struct store_copy_result {
	uint32_t dest_uidvalidity;
	uint32_t *src_uids;
	uint32_t *dst_uids;
	size_t count;
};
int store_view_copy(struct store_view *view, const uint32_t *uids, size_t n_uids, const char *dest,
		    bool move, struct store_copy_result *res, const char **error_r);
void store_copy_result_free(struct store_copy_result *res);

/* APPEND (RFC 3501 6.3.11) of msg (CRLF line ends) to mailbox with flags (STORE_FLAG_*,
 * storable ones), keywords and internaldate (0 = now) shown in zone internaldate_tz
 * (seconds east of UTC, |tz| < 24 h), durable like store_deliver():
 * cb(ctx, 0, uidvalidity, uid, NULL) once durable (RFC 4315 APPENDUID), or
 * cb(ctx, -1, 0, 0, why) (nothing stored; STORE_ERR_NONEXISTENT on acct = TRYCREATE). cb
 * runs on the loop thread, before store_append returns only on failure. msg is copied. */
typedef void store_append_cb(void *ctx, int result, uint32_t uidvalidity, uint32_t uid,
			     const char *error);
void store_append(struct store_account *acct, const char *mailbox, uint32_t flags,
		  const char *const *keywords, size_t n_keywords, time_t internaldate,
		  long internaldate_tz, const char *msg, size_t len, store_append_cb *cb,
		  void *ctx);
int store_append_sync(struct store_account *acct, const char *mailbox, uint32_t flags,
		      const char *const *keywords, size_t n_keywords, time_t internaldate,
		      long internaldate_tz, const char *msg, size_t len, uint32_t *uidvalidity_r,
		      uint32_t *uid_r, const char **error_r);

#endif
