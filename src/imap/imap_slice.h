/* Long commands in slices (internal to src/imap): SEARCH now, SORT and THREAD to come.
 * The event loop thread serves every session of every protocol, so a command that walks a
 * whole mailbox (or reads every message) must not run to its end in one go: its step
 * function works for a few milliseconds (until imap_slice_expired()), returns to the loop,
 * and is called again from a zero-timeout timer (after the loop has polled for I/O) until
 * it is done. The session is paused meanwhile (imap_session_async_begin): no other command
 * of it runs and its view of the mailbox is not refreshed (refreshes happen at tagged
 * replies), so the command sees the mailbox as it was when it started. */
#ifndef IMAP_IMAP_SLICE_H
#define IMAP_IMAP_SLICE_H
#include <stdbool.h>
#include <stdint.h>

struct imap_session;

struct imap_slice_budget {
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
};

enum imap_slice_result {
	IMAP_SLICE_DONE, /* the tagged reply is sent */
	IMAP_SLICE_MORE, /* call again later */
};

/* One slice of work on arg. Must make progress each call (at least one unit of work,
 * even past the deadline) so that the command ends. */
typedef enum imap_slice_result imap_slice_step_fn(struct imap_session *s, void *arg,
						  const struct imap_slice_budget *budget);
typedef void imap_slice_free_fn(void *arg);

/* Runs step now; while it returns MORE, pauses the session and runs it again in later
 * loop iterations, then resumes the session. free_fn(arg) is called once: when step is
 * done, or when the session goes away first (imap_slice_abort). */
void imap_slice_run(struct imap_session *s, imap_slice_step_fn *step, imap_slice_free_fn *free_fn,
		    void *arg);
/* Whether the slice's time is used up. */
bool imap_slice_expired(const struct imap_slice_budget *budget);
/* The connection is gone or the session is freed: drops the command in progress. */
void imap_slice_abort(struct imap_session *s);

#endif
