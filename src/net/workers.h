/* A small pool of worker threads for blocking work (password hashing, big file
 * reads): work() runs on a worker, then done() runs back on the loop thread. Results
 * reach their session through arg, which the caller keeps alive until done() runs. */
#ifndef NET_WORKERS_H
#define NET_WORKERS_H

struct event_base;
struct workers;

typedef void workers_fn(void *arg);

/* Needs evthread_use_pthreads() to have been called before base was created. */
struct workers *workers_new(struct event_base *base, unsigned n_threads);
/* Waits for running jobs; queued jobs still get their done() called. */
void workers_free(struct workers **w);
void workers_submit(struct workers *w, workers_fn *work, workers_fn *done, void *arg);

#endif
