/* Unit tests of the metrics registry (src/util/metrics.c): the enhanced-status-code
 * parser behind yubin_smtp_rejections_total, histogram buckets, the connection gauges and
 * the exposition format of the rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/metrics.h"

static char *
render(void)
{
	struct metrics_gauges g = {0};
	struct buf b = BUF_INIT;

	g.queue_messages = 3;
	g.queue_oldest_age = 42;
	metrics_render(&b, &g);
	return buf_steal(&b);
}

static void
assert_has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing \"%s\"", line);
}

static void
test_rejections_by_code(void **state)
{
	char *text;

	(void)state;
	metrics_smtp_reject("550 5.1.1 Error: no such user");
	metrics_smtp_reject("550 5.1.1 <x>: again");
	metrics_smtp_reject("554 5.7.30 detail of two digits");
	metrics_smtp_reject("451 4.3.0 Error: try again");
	metrics_smtp_reject("500 Error without a status code");
	metrics_smtp_reject("552 5.9.1 subject out of range");
	metrics_smtp_reject("552 5.3.400 detail too long");
	metrics_smtp_reject("");
	metrics_smtp_reject("55");
	text = render();
	assert_has(text, "yubin_smtp_rejections_total{reason=\"5.1.1\"} 2\n");
	assert_has(text, "yubin_smtp_rejections_total{reason=\"5.7.30\"} 1\n");
	assert_has(text, "yubin_smtp_rejections_total{reason=\"4.3.0\"} 1\n");
	assert_has(text, "yubin_smtp_rejections_total{reason=\"other\"} 5\n");
	free(text);
}

static void
test_histogram(void **state)
{
	char *text;

	(void)state;
	metrics_observe(METRICS_FSYNC_LATENCY, 0.0001);
	metrics_observe(METRICS_FSYNC_LATENCY, 0.003);
	metrics_observe(METRICS_FSYNC_LATENCY, 100);
	text = render();
	assert_has(text, "# TYPE yubin_fsync_latency_seconds histogram\n");
	assert_has(text, "yubin_fsync_latency_seconds_bucket{le=\"0.0005\"} 1\n");
	assert_has(text, "yubin_fsync_latency_seconds_bucket{le=\"0.0025\"} 1\n");
	assert_has(text, "yubin_fsync_latency_seconds_bucket{le=\"0.005\"} 2\n");
	assert_has(text, "yubin_fsync_latency_seconds_bucket{le=\"2.5\"} 2\n");
	assert_has(text, "yubin_fsync_latency_seconds_bucket{le=\"+Inf\"} 3\n");
	assert_has(text, "yubin_fsync_latency_seconds_count 3\n");
	assert_has(text, "yubin_fsync_latency_seconds_sum 100.003100\n");
	free(text);
}

static void
test_connections_and_counters(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(metrics_proto_of_key("submissions_listen"), METRICS_SUBMISSIONS);
	assert_int_equal(metrics_proto_of_key("imap_listen"), METRICS_IMAP);
	assert_int_equal(metrics_proto_of_key("imaps_listen"), METRICS_IMAPS);
	assert_int_equal(metrics_proto_of_key("whatever"), METRICS_PROTO_COUNT);
	metrics_connection(METRICS_IMAPS, 1);
	metrics_connection(METRICS_IMAPS, 1);
	metrics_connection(METRICS_IMAPS, -1);
	metrics_connection(METRICS_PROTO_COUNT, 1); /* ignored */
	metrics_smtp_accepted(3);
	metrics_queue_result("sent", "mx.remote.test", 2);
	metrics_queue_result("sent", "local", 1);
	metrics_queue_result("deferred", "mx.remote.test", 1);
	metrics_queue_result("bounced", "mx.remote.test", 7200);
	metrics_dns_answer(true);
	metrics_dns_answer(false);
	metrics_tls_handshake("TLSv1.3");
	metrics_tls_handshake("SSLv3");
	text = render();
	assert_has(text, "yubin_connections{protocol=\"imaps\"} 1\n");
	assert_has(text, "yubin_connections_total{protocol=\"imaps\"} 2\n");
	assert_has(text, "yubin_messages_received_total 1\n");
	assert_has(text, "yubin_messages_delivered_local_total 4\n");
	assert_has(text, "yubin_messages_relayed_total 1\n");
	assert_has(text, "yubin_messages_deferred_total 1\n");
	assert_has(text, "yubin_messages_bounced_total 1\n");
	assert_has(text, "yubin_delivery_latency_seconds_count 3\n");
	assert_has(text, "yubin_delivery_latency_seconds_bucket{le=\"5\"} 2\n");
	assert_has(text, "yubin_delivery_latency_seconds_bucket{le=\"14400\"} 3\n");
	assert_has(text, "yubin_dns_lookups_total 2\n");
	assert_has(text, "yubin_dns_failures_total 1\n");
	assert_has(text, "yubin_tls_handshakes_total{version=\"TLSv1.3\"} 1\n");
	assert_has(text, "yubin_tls_handshakes_total{version=\"other\"} 1\n");
	assert_has(text, "yubin_queue_messages 3\n");
	assert_has(text, "yubin_queue_oldest_age_seconds 42\n");
	free(text);
}

static void
test_every_line_is_exposition_format(void **state)
{
	char *text = render(), *line, *save = NULL;

	(void)state;
	assert_true(text[strlen(text) - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)
			continue;
		/* name{labels} value: a metric name, optional labels, one space, a number */
		size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz_0123456789");
		char *sp = strrchr(line, ' ');
		assert_true(n > 0);
		assert_non_null(sp);
		assert_true(line[n] == ' ' || line[n] == '{');
		assert_true(strspn(sp + 1, "0123456789.") == strlen(sp + 1));
	}
	free(text);
}

static void
test_filter_verdicts(void **state)
{
	char *text;

	(void)state;
	text = render();
	assert_null(strstr(text, "yubin_filter_verdicts_total{")); /* none counted yet */
	free(text);
	metrics_filter_verdict(METRICS_FILTER_SPF, "pass");
	metrics_filter_verdict(METRICS_FILTER_SPF, "pass");
	metrics_filter_verdict(METRICS_FILTER_DKIM, "none");
	metrics_filter_verdict(METRICS_FILTER_CLAMD, "infected");
	metrics_filter_verdict(METRICS_FILTER_DMARC, "made-up");
	metrics_filter_verdict(METRICS_FILTER_MILTER, NULL);
	metrics_filter_verdict(METRICS_FILTER_COUNT, "pass"); /* ignored */
	text = render();
	assert_has(text, "yubin_filter_verdicts_total{filter=\"spf\",verdict=\"pass\"} 2\n");
	assert_has(text, "yubin_filter_verdicts_total{filter=\"dkim\",verdict=\"none\"} 1\n");
	assert_has(text, "yubin_filter_verdicts_total{filter=\"clamd\",verdict=\"infected\"} 1\n");
	assert_has(text, "yubin_filter_verdicts_total{filter=\"dmarc\",verdict=\"other\"} 1\n");
	assert_has(text, "yubin_filter_verdicts_total{filter=\"milter\",verdict=\"other\"} 1\n");
	assert_null(strstr(text, "verdict=\"made-up\""));
	free(text);
}

static void
test_certificate_expiry(void **state)
{
	struct metrics_gauges g = {0};
	struct buf b = BUF_INIT;

	(void)state;
	metrics_render(&b, &g); /* no certificate: no series */
	assert_null(strstr(buf_cstr(&b), "yubin_tls_certificate_expiry_seconds"));
	buf_free(&b);
	g.tls_cert_expiry = 1893456000; /* 2030-01-01 */
	metrics_render(&b, &g);
	assert_has(buf_cstr(&b), "# TYPE yubin_tls_certificate_expiry_seconds gauge\n");
	assert_has(buf_cstr(&b), "\nyubin_tls_certificate_expiry_seconds 1893456000\n");
	buf_free(&b);
}

static void
test_process_gauges(void **state)
{
	struct metrics_gauges g = {0};

	(void)state;
	metrics_process_gauges(&g);
	assert_true(g.open_files >= 3);
	assert_true(g.max_files >= g.open_files);
	assert_true(g.resident_bytes > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejections_by_code),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_connections_and_counters),
		cmocka_unit_test(test_every_line_is_exposition_format),
		cmocka_unit_test(test_filter_verdicts),
		cmocka_unit_test(test_certificate_expiry),
		cmocka_unit_test(test_process_gauges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
