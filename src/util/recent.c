/* The ring of recent events (recent.h). */
#include "util/recent.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static pthread_mutex_t recent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct recent_event *ring;
static size_t ring_cap, ring_next, ring_len;

void
recent_init(size_t capacity)
{
	pthread_mutex_lock(&recent_lock);
	free(ring);
	ring = capacity > 0 ? xcalloc(capacity, sizeof(*ring)) : NULL;
	ring_cap = capacity;
	ring_next = ring_len = 0;
	pthread_mutex_unlock(&recent_lock);
}

void
recent_add(const char *kind, const char *qid, const char *fmt, ...)
{
	struct recent_event e;
	va_list ap;

	if (ring_cap == 0) /* read without the lock: set once before the threads start */
		return;
	memset(&e, 0, sizeof(e));
	e.when = time(NULL);
	snprintf(e.kind, sizeof(e.kind), "%s", kind);
	snprintf(e.qid, sizeof(e.qid), "%s", qid != NULL ? qid : "");
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	/* the text holds what clients sent (addresses, reply texts): no line breaks */
	for (char *p = e.text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	pthread_mutex_lock(&recent_lock);
	if (ring != NULL) {
		ring[ring_next] = e;
		ring_next = (ring_next + 1) % ring_cap;
		if (ring_len < ring_cap)
			ring_len++;
	}
	pthread_mutex_unlock(&recent_lock);
}

size_t
recent_get(struct recent_event *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&recent_lock);
	for (; n < max && n < ring_len; n++)
		out[n] = ring[(ring_next + ring_cap - 1 - n) % ring_cap];
	pthread_mutex_unlock(&recent_lock);
	return n;
}
