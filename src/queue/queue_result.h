/* What happens with the outcome of a delivery attempt: each recipient is marked sent,
 * deferred (exponential backoff from minimal_backoff_time to maximal_backoff_time, until
 * maximal_queue_lifetime) or bounced (a DSN to the sender, never for a bounce), durably
 * through the spool thread; a message whose recipients are all done is removed. Logs one
 * line per recipient. Private to src/queue. */
#ifndef QUEUE_QUEUE_RESULT_H
#define QUEUE_QUEUE_RESULT_H

#include "queue/queue_client.h"

/* Takes job (frees it); results[i] belongs to job->rcpts[i] and stays the caller's. */
void queue_result_job_done(struct queue *q, struct queue_job *job,
			   struct queue_rcpt_result *results, const char *relay);
/* The same with one outcome for every recipient of the job. */
void queue_result_fail_job(struct queue *q, struct queue_job *job, enum queue_result result,
			   const char *status, const char *why, const char *relay);
/* The delay before attempt number attempts + 1 (attempts >= 1). Pure. */
unsigned queue_result_backoff(unsigned attempts, unsigned min_backoff, unsigned max_backoff);

#endif
