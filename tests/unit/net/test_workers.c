/* Unit tests of the worker pool (src/net/workers.c): every job's work runs on a worker
 * thread, every done on the loop thread, each exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "net/workers.h"

#define N_JOBS 2000

struct job {
	pthread_t loop_thread;
	atomic_int work_runs;
	int done_runs;
	bool work_on_loop;
	bool done_off_loop;
	int *done_total;
};

static void
job_work(void *arg)
{
	struct job *j = arg;

	if (pthread_equal(pthread_self(), j->loop_thread))
		j->work_on_loop = true;
	atomic_fetch_add(&j->work_runs, 1);
}

static void
job_slow_work(void *arg)
{
	usleep(2000);
	job_work(arg);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	if (!pthread_equal(pthread_self(), j->loop_thread))
		j->done_off_loop = true;
	assert_int_equal(atomic_load(&j->work_runs), 1); /* work happened before done */
	j->done_runs++;
	(*j->done_total)++;
}

static void
check_jobs(struct job *jobs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(atomic_load(&jobs[i].work_runs), 1);
		assert_int_equal(jobs[i].done_runs, 1);
		assert_false(jobs[i].work_on_loop);
		assert_false(jobs[i].done_off_loop);
	}
}

static void
test_many_jobs(void **state)
{
	struct event_base *base = event_base_new();
	struct workers *w = workers_new(base, 4);
	struct job *jobs = calloc(N_JOBS, sizeof(*jobs));
	int done_total = 0, i, rounds;

	(void)state;
	for (i = 0; i < N_JOBS; i++) {
		jobs[i].loop_thread = pthread_self();
		jobs[i].done_total = &done_total;
		workers_submit(w, job_work, job_done, &jobs[i]);
	}
	/* bounded: at most ~10 s */
	for (rounds = 0; rounds < 10000 && done_total < N_JOBS; rounds++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (done_total < N_JOBS)
			usleep(1000);
	}
	assert_int_equal(done_total, N_JOBS);
	check_jobs(jobs, N_JOBS);
	/* done never runs inside workers_submit itself */
	workers_submit(w, job_work, job_done,
		       &(struct job){.loop_thread = pthread_self(), .done_total = &done_total});
	assert_int_equal(done_total, N_JOBS);
	workers_free(&w);
	assert_null(w);
	assert_int_equal(done_total, N_JOBS + 1);
	free(jobs);
	event_base_free(base);
}

/* Freeing the pool with jobs still queued: each still runs work, then done. */
static void
test_free_with_queued_jobs(void **state)
{
	struct event_base *base = event_base_new();
	struct workers *w = workers_new(base, 2);
	struct job jobs[50] = {0};
	int done_total = 0, i;

	(void)state;
	for (i = 0; i < 50; i++) {
		jobs[i].loop_thread = pthread_self();
		jobs[i].done_total = &done_total;
		workers_submit(w, job_slow_work, job_done, &jobs[i]);
	}
	workers_free(&w);
	assert_int_equal(done_total, 50);
	check_jobs(jobs, 50);
	event_base_free(base);
}

static void
test_empty_pool_free(void **state)
{
	struct event_base *base = event_base_new();
	struct workers *w = workers_new(base, 3);

	(void)state;
	workers_free(&w);
	workers_free(&w);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_jobs),
		cmocka_unit_test(test_free_with_queued_jobs),
		cmocka_unit_test(test_empty_pool_free),
	};

	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
