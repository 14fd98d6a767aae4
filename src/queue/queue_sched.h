/* The scheduler: which recipients are due, grouping them by destination into jobs, the
 * retry timer, and what happens with each attempt's results (sent, deferred with backoff,
 * bounced with a DSN). Private to src/queue; everything runs on the loop thread. */
#ifndef QUEUE_QUEUE_SCHED_H
#define QUEUE_QUEUE_SCHED_H

struct queue;
struct queue_dest;
struct queue_job;
struct queue_msg;

/* Starts the retry timer and DNS; schedules what was recovered. 0 ok, -1 with *error_r. */
int queue_sched_start(struct queue *q, const char **error_r);
/* No new attempts; clients in flight are closed (their recipients stay pending). */
void queue_sched_stop(struct queue *q);
void queue_sched_free(struct queue *q);
/* A new message: schedule its due recipients now. */
void queue_sched_msg(struct queue *q, struct queue_msg *msg);
/* Look for due recipients now (after a flush). */
void queue_sched_kick(struct queue *q);
/* Drops every destination's cached route (not one being looked up): the next attempt
 * resolves it again (flush). Clients keep their own copy. */
void queue_sched_forget_routes(struct queue *q);
/* The next job waiting for dest, or NULL (an idle client asks). */
struct queue_job *queue_sched_take_job(struct queue *q, struct queue_dest *dest);
/* Re-reads hold flags and deletions made by `yubin queue` from the index. */
void queue_sched_reload(struct queue *q);

#endif
