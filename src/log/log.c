/* Line logging to stderr with a timestamp and level (see log.h). */
#include "log/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level log_min = LOG_LEVEL_INFO;
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

bool
log_enabled(enum log_level level)
{
	return level >= log_min;
}

static void
log_line(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = {"debug", "info", "warning", "error"};
	char stamp[32], line[4096];
	struct timeval tv;
	struct tm tm;
	int n;

	if (level < log_min)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* one write per line so concurrent threads never interleave inside a line */
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03dZ yubin %s: %s\n", stamp, (int)(tv.tv_usec / 1000), names[level],
		line);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
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
