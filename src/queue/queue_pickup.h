/* Pickup of mail dropped by `yubin sendmail` into data_directory/maildrop: at start and
 * whenever inotify reports a new file (and every minute, for files that failed before),
 * each file's recipients are resolved (aliases; local accounts are delivered to the store
 * from the queue) and the message is queued durably; only then is the file removed.
 * Private to src/queue. */
#ifndef QUEUE_QUEUE_PICKUP_H
#define QUEUE_QUEUE_PICKUP_H

struct queue;
struct queue_pickup;

/* Creates the maildrop directory (mode 1733) if needed. NULL with *error_r. */
struct queue_pickup *queue_pickup_new(struct queue *q, const char **error_r);
/* Stops watching; submissions in flight finish on their own. */
void queue_pickup_free(struct queue_pickup **pickup);

#endif
