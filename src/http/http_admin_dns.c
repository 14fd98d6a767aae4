/* The admin page's DNS check: src/mailauth/dnscheck.c (the code of `yubin dnscheck`) run
 * on a worker thread, because it blocks for its lookups (a few seconds, its own event
 * loop and resolver); the event loop only starts it and keeps the report it hands back.
 * One check at a time; the last report stays until the next. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/settings.h"
#include "http/http_admin.h"
#include "log/log.h"
#include "mailauth/dnscheck.h"
#include "net/workers.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct http_dnscheck {
	bool running;
	time_t started, finished;
	int problems; /* -1: could not run (report says why) */
	char *report;
};

struct dnscheck_job {
	struct http_dnscheck *d;
	const struct settings *s;
	struct buf out;
	int problems;
};

void
http_dnscheck_free(struct http_dnscheck **dp)
{
	if (*dp == NULL)
		return;
	free((*dp)->report);
	free(*dp);
	*dp = NULL;
}

/* On the worker thread. */
static void
dnscheck_work(void *arg)
{
	struct dnscheck_job *job = arg;
	const char *error;

	job->problems = dnscheck_run(job->s, &job->out, &error);
	if (job->problems < 0)
		buf_printf(&job->out, "the check could not run: %s\n", error);
}

/* Back on the loop. */
static void
dnscheck_done(void *arg)
{
	struct dnscheck_job *job = arg;
	struct http_dnscheck *d = job->d;

	free(d->report);
	d->report = xstrdup(buf_cstr(&job->out));
	d->problems = job->problems;
	d->finished = time(NULL);
	d->running = false;
	log_info("http: admin: DNS check done: %d problem%s", job->problems,
		 job->problems == 1 ? "" : "s");
	buf_free(&job->out);
	free(job);
}

void
http_dnscheck_start(struct http_request *r)
{
	struct http_dnscheck **dp = http_admin_dnscheck(r->admin);
	struct dnscheck_job *job;

	if (*dp == NULL)
		*dp = xcalloc(1, sizeof(**dp));
	if ((*dp)->running || r->deps->workers == NULL)
		return;
	(*dp)->running = true;
	(*dp)->started = time(NULL);
	job = xcalloc(1, sizeof(*job));
	job->d = *dp;
	job->s = r->deps->settings;
	workers_submit(r->deps->workers, dnscheck_work, dnscheck_done, job);
}

void
http_dnscheck_render(struct http_admin *a, struct buf *x)
{
	struct http_dnscheck *d = *http_admin_dnscheck(a);

	if (d == NULL) {
		buf_appends(x, "<p>Not run yet.</p>\n");
		return;
	}
	if (d->running)
		buf_printf(x, "<p id=\"dns-running\">Running since %lld s.</p>\n",
			   (long long)(time(NULL) - d->started));
	if (d->report != NULL) {
		buf_printf(x, "<p id=\"dns-result\">Last check %lld s ago: ",
			   (long long)(time(NULL) - d->finished));
		if (d->problems < 0)
			buf_appends(x, "could not run");
		else
			buf_printf(x, "%d problem%s", d->problems, d->problems == 1 ? "" : "s");
		buf_appends(x, ".</p>\n<pre>");
		http_escape(x, d->report);
		buf_appends(x, "</pre>\n");
	}
}
