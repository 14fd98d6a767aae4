/* Long commands in slices (see imap_slice.h). */
#include "imap/imap_slice.h"

#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

#include "imap/imap_session.h"
#include "util/xmalloc.h"

/* Work per slice: other sessions wait at most about this long (plus one unit of work,
 * e.g. one search key on one message) for their turn. Short enough for interactive
 * latency, long enough that the loop's overhead between slices (a poll, reopening an
 * index cursor: some microseconds) stays far below 1%. */
#define IMAP_SLICE_NS (5 * 1000 * 1000)

struct imap_slice {
	struct imap_session *s;
	struct event *ev;
	imap_slice_step_fn *step;
	imap_slice_free_fn *free_fn;
	void *arg;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool
imap_slice_expired(const struct imap_slice_budget *budget)
{
	return now_ns() >= budget->deadline_ns;
}

static enum imap_slice_result
slice_step(struct imap_session *s, imap_slice_step_fn *step, void *arg)
{
	struct imap_slice_budget budget = {now_ns() + IMAP_SLICE_NS};

	return step(s, arg, &budget);
}

static void
slice_free(struct imap_slice *sl)
{
	event_free(sl->ev);
	sl->free_fn(sl->arg);
	free(sl);
}

static void
slice_schedule(struct imap_slice *sl)
{
	/* a timer, not event_active(): timers run after the loop has polled for I/O */
	static const struct timeval zero = {0, 0};

	evtimer_add(sl->ev, &zero);
}

static void
slice_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct imap_slice *sl = arg;
	struct imap_session *s = sl->s;

	(void)fd;
	(void)what;
	if (slice_step(s, sl->step, sl->arg) == IMAP_SLICE_MORE) {
		slice_schedule(sl);
		return;
	}
	s->slice = NULL;
	slice_free(sl);
	if (imap_session_async_done(s))
		imap_session_resume(s);
}

void
imap_slice_run(struct imap_session *s, imap_slice_step_fn *step, imap_slice_free_fn *free_fn,
	       void *arg)
{
	struct imap_slice *sl;

	if (slice_step(s, step, arg) == IMAP_SLICE_DONE) {
		free_fn(arg);
		return;
	}
	sl = xcalloc(1, sizeof(*sl));
	sl->s = s;
	sl->step = step;
	sl->free_fn = free_fn;
	sl->arg = arg;
	sl->ev = evtimer_new(imap_server_deps(s->server)->base, slice_on_timer, sl);
	if (sl->ev == NULL)
		abort(); /* out of memory */
	s->slice = sl;
	imap_session_async_begin(s);
	slice_schedule(sl);
}

void
imap_slice_abort(struct imap_session *s)
{
	if (s->slice == NULL)
		return;
	slice_free(s->slice);
	s->slice = NULL;
	s->base.pending--;
}
