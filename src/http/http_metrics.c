/* /healthz and /metrics (Prometheus text exposition format 0.0.4). A scrape renders the
 * registry of src/util/metrics.c and computes the gauges that are not counted: the
 * queue's length and oldest message, the certificate's expiry, open files and memory. */
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <time.h>

#include "http/http_request.h"
#include "queue/queue.h"
#include "util/metrics.h"

bool
http_cert_info(SSL_CTX *tls, time_t *not_after_r, char *subject, size_t size)
{
	X509 *cert = tls != NULL ? SSL_CTX_get0_certificate(tls) : NULL;
	struct tm tm;

	if (cert == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return false;
	*not_after_r = timegm(&tm);
	if (subject != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject, (int)size);
	return true;
}

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
	time_t oldest = 0, now = time(NULL), not_after;

	if (r->deps->queue != NULL)
		queue_stats(r->deps->queue, &length, &oldest);
	g.queue_messages = length;
	g.queue_oldest_age = length > 0 && oldest > 0 && oldest < now ? (double)(now - oldest) : 0;
	g.start_time = (double)r->deps->start_time;
	if (r->deps->tls != NULL && http_cert_info(*r->deps->tls, &not_after, NULL, 0))
		g.tls_cert_expiry = (double)not_after;
	metrics_process_gauges(&g);
	metrics_render(&x, &g);
	http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", &x);
}
