/* /healthz and /metrics (Prometheus text exposition format 0.0.4). A scrape renders the
 * registry of src/util/metrics.c and computes the gauges that are not counted: the
 * queue's length and oldest message, open files and memory. */
#include <stdio.h>

#include "http/http_request.h"
#include "queue/queue.h"
#include "util/metrics.h"

void
http_healthz(struct http_request *r)
{
	struct buf x = BUF_INIT;

	buf_appends(&x, "ok\n");
	http_reply(r, 200, "text/plain; charset=utf-8", &x);
}

void
http_metrics(struct http_request *r)
{
	struct metrics_gauges g = {0};
	struct buf x = BUF_INIT;
	size_t length = 0;
	time_t oldest = 0, now = time(NULL);

	if (r->deps->queue != NULL)
		queue_stats(r->deps->queue, &length, &oldest);
	g.queue_messages = length;
	g.queue_oldest_age = length > 0 && oldest > 0 && oldest < now ? (double)(now - oldest) : 0;
	g.start_time = (double)r->deps->start_time;
	metrics_process_gauges(&g);
	metrics_render(&x, &g);
	http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", &x);
}
