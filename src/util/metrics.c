/* The metrics registry (see metrics.h): fixed arrays of 64-bit slots updated with relaxed
 * atomic adds. Relaxed is enough: each slot is an independent count; a scrape may see
 * one counter a few events ahead of another, never a torn or lost value. */
#include "util/metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

#define ADD(slot, n) __atomic_fetch_add(&(slot), (n), __ATOMIC_RELAXED)
#define GET(slot) __atomic_load_n(&(slot), __ATOMIC_RELAXED)

/* Enhanced status codes (RFC 3463 2): class 4 or 5, subject 0..7, detail 0..31 (the
 * highest registered detail is 5.7.30); anything else counts as "other". */
#define REJECT_SUBJECTS 8
#define REJECT_DETAILS 32
#define HIST_MAX_BUCKETS 16

static const char *const proto_names[METRICS_PROTO_COUNT] = {
	"smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps", "http", "https",
};

static const struct {
	const char *name, *help;
} counter_info[METRICS_COUNTER_COUNT] = {
	[METRICS_MESSAGES_RECEIVED] = {"yubin_messages_received_total",
				       "Messages accepted over SMTP (250 after DATA or BDAT)."},
	[METRICS_DELIVERED_LOCAL] = {"yubin_messages_delivered_local_total",
				     "Message copies stored into a local mailbox."},
	[METRICS_RELAYED] = {"yubin_messages_relayed_total",
			     "Recipients handed over to a remote server by the queue."},
	[METRICS_DEFERRED] = {"yubin_messages_deferred_total",
			      "Delivery attempts deferred by the queue (per recipient)."},
	[METRICS_BOUNCED] = {"yubin_messages_bounced_total",
			     "Recipients bounced by the queue (a DSN was sent)."},
	[METRICS_LOGIN_FAILURES] = {"yubin_login_failures_total",
				    "Failed logins (wrong user name or password), any protocol."},
	[METRICS_DNS_LOOKUPS] = {"yubin_dns_lookups_total",
				 "DNS queries answered by a resolver (cache hits not counted)."},
	[METRICS_DNS_FAILURES] = {"yubin_dns_failures_total",
				  "DNS queries that failed temporarily (SERVFAIL, timeout...)."},
	[METRICS_HTTP_REQUESTS] = {"yubin_http_requests_total",
				   "HTTP requests answered by a handler."},
};

static const struct {
	const char *name, *help;
	double bounds[HIST_MAX_BUCKETS];
	unsigned n;
} hist_info[METRICS_HISTOGRAM_COUNT] = {
	[METRICS_DELIVERY_LATENCY] = {"yubin_delivery_latency_seconds",
				      "Time from arrival in the queue to delivery or bounce.",
				      {0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400},
				      12},
	[METRICS_FSYNC_LATENCY] = {"yubin_fsync_latency_seconds",
				   "Duration of one journal fdatasync.",
				   {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
				    1, 2.5},
				   12},
};

static const char *const filter_names[METRICS_FILTER_COUNT] = {
	"spam", "clamd", "milter", "dmarc", "spf", "dkim",
};
/* the verdict label's values; the last is "other" */
static const char *const verdict_names[] = {
	"pass",   "fail",     "softfail", "neutral",    "none",  "temperror", "permerror",
	"policy", "ham",      "junk",     "reject",     "clean", "infected",  "error",
	"accept", "tempfail", "discard",  "quarantine", "other",
};
#define VERDICT_SLOTS (sizeof(verdict_names) / sizeof(verdict_names[0]))

static const char *const tls_names[] = {"TLSv1.3", "TLSv1.2", "other"};
#define TLS_SLOTS (sizeof(tls_names) / sizeof(tls_names[0]))

static struct {
	uint64_t counters[METRICS_COUNTER_COUNT];
	int64_t conn_now[METRICS_PROTO_COUNT];
	uint64_t conn_total[METRICS_PROTO_COUNT];
	uint64_t rejects[2][REJECT_SUBJECTS][REJECT_DETAILS];
	uint64_t rejects_other;
	uint64_t tls[TLS_SLOTS];
	uint64_t verdicts[METRICS_FILTER_COUNT][VERDICT_SLOTS];
	struct {
		uint64_t buckets[HIST_MAX_BUCKETS]; /* non-cumulative; +Inf is count */
		uint64_t count;
		uint64_t sum_us;
	} hist[METRICS_HISTOGRAM_COUNT];
} m;

void
metrics_count(enum metrics_counter c, uint64_t n)
{
	ADD(m.counters[c], n);
}

uint64_t
metrics_counter_value(enum metrics_counter c)
{
	return GET(m.counters[c]);
}

void
metrics_connection(enum metrics_proto p, int delta)
{
	if ((unsigned)p >= METRICS_PROTO_COUNT)
		return;
	ADD(m.conn_now[p], delta);
	if (delta > 0)
		ADD(m.conn_total[p], (uint64_t)delta);
}

enum metrics_proto
metrics_proto_of_key(const char *key)
{
	size_t len = strcspn(key, "_");

	for (unsigned i = 0; i < METRICS_PROTO_COUNT; i++)
		if (strlen(proto_names[i]) == len && strncmp(key, proto_names[i], len) == 0)
			return (enum metrics_proto)i;
	return METRICS_PROTO_COUNT;
}

static int
digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

void
metrics_smtp_reject(const char *r)
{
	int cls, subject, detail;

	/* "ddd c.s.d " (RFC 5321 4.2, RFC 3463 2) */
	if (digit(r[0]) < 0 || digit(r[1]) < 0 || digit(r[2]) < 0 || r[3] != ' ')
		goto other;
	cls = digit(r[4]);
	subject = digit(r[6]);
	if ((cls != 4 && cls != 5) || r[5] != '.' || subject < 0 || subject >= REJECT_SUBJECTS ||
	    r[7] != '.' || digit(r[8]) < 0)
		goto other;
	detail = digit(r[8]);
	if (digit(r[9]) >= 0) {
		detail = detail * 10 + digit(r[9]);
		if (digit(r[10]) >= 0)
			goto other;
	}
	if (detail >= REJECT_DETAILS)
		goto other;
	ADD(m.rejects[cls - 4][subject][detail], 1);
	return;
other:
	ADD(m.rejects_other, 1);
}

void
metrics_tls_handshake(const char *version)
{
	size_t i;

	for (i = 0; i + 1 < TLS_SLOTS; i++)
		if (version != NULL && strcmp(version, tls_names[i]) == 0)
			break;
	ADD(m.tls[i], 1);
}

void
metrics_filter_verdict(enum metrics_filter f, const char *verdict)
{
	size_t i;

	if ((unsigned)f >= METRICS_FILTER_COUNT)
		return;
	for (i = 0; i + 1 < VERDICT_SLOTS; i++)
		if (verdict != NULL && strcmp(verdict, verdict_names[i]) == 0)
			break;
	ADD(m.verdicts[f][i], 1);
}

void
metrics_observe(enum metrics_histogram h, double seconds)
{
	unsigned i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < hist_info[h].n && seconds > hist_info[h].bounds[i]; i++)
		;
	if (i < hist_info[h].n)
		ADD(m.hist[h].buckets[i], 1);
	ADD(m.hist[h].count, 1);
	ADD(m.hist[h].sum_us, (uint64_t)(seconds * 1e6));
}

void
metrics_smtp_accepted(unsigned long n_local)
{
	ADD(m.counters[METRICS_MESSAGES_RECEIVED], 1);
	ADD(m.counters[METRICS_DELIVERED_LOCAL], (uint64_t)n_local);
}

void
metrics_dns_answer(bool ok)
{
	ADD(m.counters[METRICS_DNS_LOOKUPS], 1);
	if (!ok)
		ADD(m.counters[METRICS_DNS_FAILURES], 1);
}

void
metrics_queue_result(const char *status, const char *relay, long long delay)
{
	if (strcmp(status, "deferred") == 0) {
		ADD(m.counters[METRICS_DEFERRED], 1);
		return;
	}
	if (strcmp(status, "bounced") == 0)
		ADD(m.counters[METRICS_BOUNCED], 1);
	else if (strcmp(relay, "local") == 0)
		ADD(m.counters[METRICS_DELIVERED_LOCAL], 1);
	else
		ADD(m.counters[METRICS_RELAYED], 1);
	metrics_observe(METRICS_DELIVERY_LATENCY, (double)delay);
}

int
metrics_fdatasync(int fd)
{
	struct timespec a, b;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ret = fdatasync(fd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	metrics_observe(METRICS_FSYNC_LATENCY,
			(double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return ret;
}

static void
header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_histogram(struct buf *out, enum metrics_histogram h)
{
	uint64_t cum = 0, count = GET(m.hist[h].count);

	header(out, hist_info[h].name, "histogram", hist_info[h].help);
	for (unsigned i = 0; i < hist_info[h].n; i++) {
		cum += GET(m.hist[h].buckets[i]);
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", hist_info[h].name,
			   hist_info[h].bounds[i], (unsigned long long)cum);
	}
	/* count is bumped after the bucket: keep +Inf >= every bucket in a racing scrape */
	if (count < cum)
		count = cum;
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", hist_info[h].name,
		   (unsigned long long)count);
	buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", hist_info[h].name,
		   (double)GET(m.hist[h].sum_us) / 1e6, hist_info[h].name,
		   (unsigned long long)count);
}

static void
render_connections(struct buf *out)
{
	header(out, "yubin_connections", "gauge", "Connections open now, per protocol.");
	for (unsigned p = 0; p < METRICS_PROTO_COUNT; p++) {
		int64_t now = GET(m.conn_now[p]);
		buf_printf(out, "yubin_connections{protocol=\"%s\"} %lld\n", proto_names[p],
			   (long long)(now > 0 ? now : 0));
	}
	header(out, "yubin_connections_total", "counter",
	       "Connections accepted since start, per protocol.");
	for (unsigned p = 0; p < METRICS_PROTO_COUNT; p++)
		buf_printf(out, "yubin_connections_total{protocol=\"%s\"} %llu\n", proto_names[p],
			   (unsigned long long)GET(m.conn_total[p]));
}

static void
render_rejects(struct buf *out)
{
	header(out, "yubin_smtp_rejections_total", "counter",
	       "SMTP error replies, by enhanced status code (RFC 3463).");
	for (int c = 0; c < 2; c++)
		for (int s = 0; s < REJECT_SUBJECTS; s++)
			for (int d = 0; d < REJECT_DETAILS; d++) {
				uint64_t v = GET(m.rejects[c][s][d]);
				if (v > 0)
					buf_printf(
						out,
						"yubin_smtp_rejections_total{reason=\"%d.%d.%d\"}"
						" %llu\n",
						c + 4, s, d, (unsigned long long)v);
			}
	buf_printf(out, "yubin_smtp_rejections_total{reason=\"other\"} %llu\n",
		   (unsigned long long)GET(m.rejects_other));
}

/* Only the pairs seen so far: 6 filters x 19 words would be mostly zeros. */
static void
render_verdicts(struct buf *out)
{
	header(out, "yubin_filter_verdicts_total", "counter",
	       "Verdicts of the filter stages (spam, clamd, milter, dmarc, spf, dkim).");
	for (unsigned f = 0; f < METRICS_FILTER_COUNT; f++)
		for (unsigned v = 0; v < VERDICT_SLOTS; v++) {
			uint64_t n = GET(m.verdicts[f][v]);
			if (n > 0)
				buf_printf(out,
					   "yubin_filter_verdicts_total{filter=\"%s\","
					   "verdict=\"%s\"} %llu\n",
					   filter_names[f], verdict_names[v],
					   (unsigned long long)n);
		}
}

void
metrics_render(struct buf *out, const struct metrics_gauges *g)
{
	render_connections(out);
	for (unsigned c = 0; c < METRICS_COUNTER_COUNT; c++) {
		header(out, counter_info[c].name, "counter", counter_info[c].help);
		buf_printf(out, "%s %llu\n", counter_info[c].name,
			   (unsigned long long)GET(m.counters[c]));
	}
	render_rejects(out);
	render_verdicts(out);
	header(out, "yubin_tls_handshakes_total", "counter",
	       "Completed TLS handshakes (server and client), by protocol version.");
	for (unsigned i = 0; i < TLS_SLOTS; i++)
		buf_printf(out, "yubin_tls_handshakes_total{version=\"%s\"} %llu\n", tls_names[i],
			   (unsigned long long)GET(m.tls[i]));
	for (unsigned h = 0; h < METRICS_HISTOGRAM_COUNT; h++)
		render_histogram(out, (enum metrics_histogram)h);
	header(out, "yubin_queue_messages", "gauge", "Messages in the outbound queue.");
	buf_printf(out, "yubin_queue_messages %llu\n", (unsigned long long)g->queue_messages);
	header(out, "yubin_queue_oldest_age_seconds", "gauge",
	       "Age of the oldest message in the outbound queue (0 when empty).");
	buf_printf(out, "yubin_queue_oldest_age_seconds %.0f\n", g->queue_oldest_age);
	if (g->tls_cert_expiry > 0) {
		header(out, "yubin_tls_certificate_expiry_seconds", "gauge",
		       "The server certificate's notAfter, in seconds since the Unix epoch.");
		buf_printf(out, "yubin_tls_certificate_expiry_seconds %.0f\n", g->tls_cert_expiry);
	}
	/* the standard process metrics of the Prometheus client libraries */
	header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
	buf_printf(out, "process_open_fds %llu\n", (unsigned long long)g->open_files);
	header(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
	buf_printf(out, "process_max_fds %llu\n", (unsigned long long)g->max_files);
	header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	buf_printf(out, "process_resident_memory_bytes %llu\n",
		   (unsigned long long)g->resident_bytes);
	header(out, "process_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch in seconds.");
	buf_printf(out, "process_start_time_seconds %.0f\n", g->start_time);
}

void
metrics_process_gauges(struct metrics_gauges *g)
{
	struct rlimit rl;
	unsigned long long pages_total, pages_resident;
	DIR *d = opendir("/proc/self/fd");
	FILE *f;

	g->open_files = 0;
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				g->open_files++;
		closedir(d);
		g->open_files--; /* the directory being read */
	}
	g->max_files = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
	g->resident_bytes = 0;
	f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &pages_total, &pages_resident) == 2)
			g->resident_bytes = pages_resident * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
}
