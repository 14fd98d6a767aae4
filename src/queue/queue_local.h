/* Local delivery from the queue: recipients that are local accounts (mail picked up from
 * the maildrop, bounces to local senders) are stored with store_deliver(), with
 * Return-Path: and Delivered-To: added. Private to src/queue. */
#ifndef QUEUE_QUEUE_LOCAL_H
#define QUEUE_QUEUE_LOCAL_H

struct queue;
struct queue_job;

/* Delivers job (its msg's data is loaded) and reports through queue_result_job_done(). */
void queue_local_deliver(struct queue *q, struct queue_job *job);
/* Shutdown: deliveries in flight finish without reporting (their recipients stay pending
 * on disk and are delivered again after a restart: at-least-once). */
void queue_local_orphan_all(struct queue *q);

#endif
