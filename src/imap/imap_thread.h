/* THREAD (RFC 5256 3): the ORDEREDSUBJECT and REFERENCES algorithms over messages
 * described as for SORT (imap_sort.h), pure (unit-tested, fuzzed with the parser). The
 * command is imap_thread_cmd.c. */
#ifndef IMAP_IMAP_THREAD_H
#define IMAP_IMAP_THREAD_H
#include <stdbool.h>
#include <stddef.h>

#include "imap/imap_sort.h"
#include "util/buf.h"

enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
};

/* "ORDEREDSUBJECT" / "REFERENCES" (any case). 0, or -1 for an unknown algorithm. */
int imap_thread_parse_alg(const char *name, enum imap_thread_alg *alg_r);

/* Appends the threads of msgs (given in mailbox order) in the THREAD response syntax
 * (RFC 5256 4: "(1 2 (3)(4))(5)"), with UIDs or sequence numbers. Iterative: a chain of
 * any length cannot exhaust the stack. */
void imap_thread_write(enum imap_thread_alg alg, const struct imap_sort_msg *msgs, size_t n,
		       const char *arena, bool uid, struct buf *out);

#endif
