/* The recent deliveries and errors that the admin web page shows: a bounded ring in
 * memory of the last N events (accepted and delivered messages, queue outcomes, SMTP
 * rejections), fed at the places that write those log lines. Process-wide, like the
 * metrics registry; safe from any thread (one mutex, held for a copy of a short line).
 * Nothing is kept across a restart: the log is the record, this is a glance. */
#ifndef UTIL_RECENT_H
#define UTIL_RECENT_H
#include <stddef.h>
#include <time.h>

/* Longest text kept per event (longer is cut). */
#define RECENT_TEXT_MAX 240

struct recent_event {
	time_t when;
	char kind[16]; /* "received", "sent", "deferred", "bounced", "rejected" */
	char qid[32];  /* "" when none */
	char text[RECENT_TEXT_MAX + 1];
};

/* Keeps the last capacity events (0: none are kept, recent_add() does nothing). Called
 * once at start, before any thread runs; again only to free (capacity 0). */
void recent_init(size_t capacity);
/* Adds one event (qid may be NULL); the oldest is dropped when the ring is full.
 * Control characters in the text become '?'. */
void recent_add(const char *kind, const char *qid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies up to max events, newest first, into out; returns how many. */
size_t recent_get(struct recent_event *out, size_t max);

#endif
