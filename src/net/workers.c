/* Worker thread pool with completion on the event loop (see workers.h). */
#include "net/workers.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/xmalloc.h"

struct workers_job {
	struct workers_job *next;
	workers_fn *work;
	workers_fn *done;
	void *arg;
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct workers_job *queued_head, *queued_tail;
	struct workers_job *done_head, *done_tail;
	struct event *done_ev;
	pthread_t *threads;
	unsigned n_threads;
	bool stopping;
};

static void
job_push(struct workers_job **head, struct workers_job **tail, struct workers_job *job)
{
	job->next = NULL;
	if (*tail != NULL)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
}

static void *
workers_thread(void *arg)
{
	struct workers *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct workers_job *job;

		while (w->queued_head == NULL && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->queued_head == NULL)
			break;
		job = w->queued_head;
		w->queued_head = job->next;
		if (w->queued_head == NULL)
			w->queued_tail = NULL;
		pthread_mutex_unlock(&w->lock);
		job->work(job->arg);
		pthread_mutex_lock(&w->lock);
		job_push(&w->done_head, &w->done_tail, job);
		event_active(w->done_ev, 0, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void
workers_run_done(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	struct workers_job *job;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->lock);
	job = w->done_head;
	w->done_head = w->done_tail = NULL;
	pthread_mutex_unlock(&w->lock);
	while (job != NULL) {
		struct workers_job *next = job->next;
		job->done(job->arg);
		free(job);
		job = next;
	}
}

struct workers *
workers_new(struct event_base *base, unsigned n_threads)
{
	struct workers *w = xcalloc(1, sizeof(*w));
	unsigned i;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->done_ev = event_new(base, -1, 0, workers_run_done, w);
	w->threads = xcalloc(n_threads, sizeof(*w->threads));
	w->n_threads = n_threads;
	for (i = 0; i < n_threads; i++)
		if (pthread_create(&w->threads[i], NULL, workers_thread, w) != 0)
			abort();
	return w;
}

void
workers_free(struct workers **wp)
{
	struct workers *w = *wp;
	unsigned i;

	if (w == NULL)
		return;
	*wp = NULL;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	workers_run_done(-1, 0, w);
	event_free(w->done_ev);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->threads);
	free(w);
}

void
workers_submit(struct workers *w, workers_fn *work, workers_fn *done, void *arg)
{
	struct workers_job *job = xmalloc(sizeof(*job));

	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&w->lock);
	job_push(&w->queued_head, &w->queued_tail, job);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}
