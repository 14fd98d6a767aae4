/* The metrics registry: process-wide counters, gauges and histograms that the components
 * bump where events happen, and their rendering in the Prometheus text exposition format
 * (served on /metrics by src/http). Every update is one relaxed atomic add on a fixed
 * slot: no lock, no allocation, no lookup by name, so it is cheap enough for the hottest
 * path and safe from any thread (the loop, the store's sync threads, the workers). The
 * set of series is fixed here, so the output's size is bounded whatever the traffic. */
#ifndef UTIL_METRICS_H
#define UTIL_METRICS_H
#include <stdbool.h>
#include <stdint.h>

struct buf;

/* The protocol label of connection counts: one per kind of listener. */
enum metrics_proto {
	METRICS_SMTP,
	METRICS_SUBMISSION,
	METRICS_SUBMISSIONS,
	METRICS_POP3,
	METRICS_POP3S,
	METRICS_IMAP,
	METRICS_IMAPS,
	METRICS_HTTP,
	METRICS_HTTPS,
	METRICS_PROTO_COUNT,
};

/* Plain counters (monotonic; rendered with their _total name). */
enum metrics_counter {
	METRICS_MESSAGES_RECEIVED, /* messages accepted with 250 after DATA/BDAT */
	METRICS_DELIVERED_LOCAL,   /* message copies stored into a local mailbox */
	METRICS_RELAYED,           /* recipients handed to a remote server */
	METRICS_DEFERRED,          /* delivery attempts deferred (per recipient) */
	METRICS_BOUNCED,           /* recipients bounced */
	METRICS_LOGIN_FAILURES,    /* wrong user name or password, any protocol */
	METRICS_DNS_LOOKUPS,       /* DNS queries answered (not served from the cache) */
	METRICS_DNS_FAILURES,      /* ... that failed temporarily (SERVFAIL, timeout) */
	METRICS_HTTP_REQUESTS,     /* HTTP requests answered by a handler */
	METRICS_COUNTER_COUNT,
};

/* The content filters whose verdicts are counted (yubin_filter_verdicts_total). */
enum metrics_filter {
	METRICS_FILTER_SPAM,
	METRICS_FILTER_CLAMD,
	METRICS_FILTER_MILTER,
	METRICS_FILTER_DMARC,
	METRICS_FILTER_SPF,
	METRICS_FILTER_DKIM,
	METRICS_FILTER_COUNT,
};

enum metrics_histogram {
	METRICS_DELIVERY_LATENCY, /* arrival in the queue -> delivered or bounced, seconds */
	METRICS_FSYNC_LATENCY,    /* one journal fdatasync, seconds */
	METRICS_HISTOGRAM_COUNT,
};

void metrics_count(enum metrics_counter c, uint64_t n);
static inline void
metrics_inc(enum metrics_counter c)
{
	metrics_count(c, 1);
}
/* A connection of protocol p opened (delta 1: counts it in total too) or closed (-1). */
void metrics_connection(enum metrics_proto p, int delta);
/* The protocol label for a listen key ("submissions_listen" -> METRICS_SUBMISSIONS);
 * METRICS_PROTO_COUNT for an unknown key (then metrics_connection() ignores it). */
enum metrics_proto metrics_proto_of_key(const char *key);
/* An SMTP error reply (the text starts "550 5.1.1 ..."): counted by its RFC 3463
 * enhanced status code, the reason label; replies without one count as "other". */
void metrics_smtp_reject(const char *reply);
/* A completed TLS handshake; version as SSL_get_version() gives it ("TLSv1.3"). */
void metrics_tls_handshake(const char *version);
void metrics_observe(enum metrics_histogram h, double seconds);
/* A message accepted over SMTP (250), stored for n_local local accounts. */
void metrics_smtp_accepted(unsigned long n_local);
/* A DNS answer from a resolver: ok is false for a temporary failure. */
void metrics_dns_answer(bool ok);
/* One recipient's outcome in the queue: status "sent" / "deferred" / "bounced" (the
 * queue's log words), relay "local" for a local mailbox; delay since arrival. */
void metrics_queue_result(const char *status, const char *relay, long long delay);
/* One verdict of a filter stage, in the filter's own words: "pass", "fail", "softfail",
 * "neutral", "none", "temperror", "permerror", "policy" (SPF, DKIM, DMARC), "ham", "junk",
 * "reject" (spam), "clean", "infected", "error" (clamd), "accept", "tempfail", "discard",
 * "quarantine" (milter); any other word counts as "other". */
void metrics_filter_verdict(enum metrics_filter f, const char *verdict);
/* fdatasync(fd), its duration observed in the fsync latency histogram. */
int metrics_fdatasync(int fd);

/* Gauges a scrape computes rather than counts (queue, process). */
struct metrics_gauges {
	uint64_t queue_messages;
	double queue_oldest_age; /* seconds; 0 when the queue is empty */
	uint64_t open_files;     /* descriptors open in this process */
	uint64_t max_files;      /* RLIMIT_NOFILE */
	uint64_t resident_bytes; /* resident set size */
	double start_time;       /* Unix time the process started serving */
	double tls_cert_expiry;  /* the certificate's notAfter, Unix time; 0: no certificate */
};

/* Appends every series in the Prometheus text exposition format 0.0.4. */
void metrics_render(struct buf *out, const struct metrics_gauges *g);
/* open_files, max_files and resident_bytes of this process (from /proc). */
void metrics_process_gauges(struct metrics_gauges *g);
/* Value of one counter (tests, the status page). */
uint64_t metrics_counter_value(enum metrics_counter c);

#endif
