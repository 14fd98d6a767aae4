/* Line logging to stderr or syslog, as text or JSON, with a timestamp and level (see
 * log.h). */
#include "log/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "util/buf.h"
#include "util/utf8.h"

static enum log_level log_min = LOG_LEVEL_INFO;
static bool log_json;
static bool log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_set_level(enum log_level level)
{
	log_min = level;
}

void
log_init_from_env(void)
{
	const char *v = getenv("YUBIN_LOG_LEVEL");

	if (v == NULL)
		return;
	if (strcmp(v, "debug") == 0)
		log_min = LOG_LEVEL_DEBUG;
	else if (strcmp(v, "info") == 0)
		log_min = LOG_LEVEL_INFO;
	else if (strcmp(v, "warn") == 0)
		log_min = LOG_LEVEL_WARN;
	else if (strcmp(v, "error") == 0)
		log_min = LOG_LEVEL_ERROR;
}

void
log_set_json(bool json)
{
	log_json = json;
}

void
log_set_syslog(bool on)
{
	pthread_mutex_lock(&log_lock);
	if (on && !log_syslog)
		openlog("yubin", LOG_PID | LOG_NDELAY, LOG_MAIL);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
	pthread_mutex_unlock(&log_lock);
}

/* s as the inside of a JSON string (RFC 8259 7): quote, backslash and control characters
 * escaped, bytes that are not UTF-8 replaced by U+FFFD so the line stays valid JSON. */
static void
json_escape(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_decode(s + i, len - i, NULL);

		if (n == 0) {
			buf_appends(out, "\\ufffd");
			i++;
		} else if (c == '"' || c == '\\') {
			buf_appendc(out, '\\');
			buf_appendc(out, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\u%04x", c);
			i++;
		} else {
			buf_append(out, s + i, n);
			i += n;
		}
	}
}

/* {"time":..., "level":..., "component":..., "message":...}: the component is the
 * "name: " every yubin line starts with, when there is one. */
static void
json_line(struct buf *out, const char *stamp, const char *level, const char *line)
{
	size_t comp = strcspn(line, ": ");

	buf_printf(out, "{\"time\":\"%s\",\"level\":\"%s\"", stamp, level);
	if (comp > 0 && line[comp] == ':' && line[comp + 1] == ' ') {
		buf_appends(out, ",\"component\":\"");
		json_escape(out, line, comp);
		buf_appendc(out, '"');
		line += comp + 2;
	}
	buf_appends(out, ",\"message\":\"");
	json_escape(out, line, strlen(line));
	buf_appends(out, "\"}");
}

bool
log_enabled(enum log_level level)
{
	return level >= log_min;
}

static void
log_line(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = {"debug", "info", "warning", "error"};
	static const int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
	char stamp[40], line[4096];
	struct buf json = BUF_INIT;
	struct timeval tv;
	struct tm tm;
	int n;

	if (level < log_min)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03dZ",
		 (int)(tv.tv_usec / 1000));
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (log_json)
		json_line(&json, stamp, names[level], line);
	/* one write per line so concurrent threads never interleave inside a line */
	pthread_mutex_lock(&log_lock);
	if (log_syslog)
		syslog(priorities[level], "%s", log_json ? buf_cstr(&json) : line);
	else if (log_json)
		fprintf(stderr, "%s\n", buf_cstr(&json));
	else
		fprintf(stderr, "%s yubin %s: %s\n", stamp, names[level], line);
	if (!log_syslog)
		fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	buf_free(&json);
}

#define LOG_FN(name, level)                                                                        \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_line(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_error, LOG_LEVEL_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
