/* IMAP dates (RFC 3501 9): "date" for SEARCH (1-Feb-1994) and "date-time" for APPEND and
 * INTERNALDATE ("17-Jul-1996 02:44:25 -0700"). */
#ifndef IMAP_IMAP_DATE_H
#define IMAP_IMAP_DATE_H
#include <stdbool.h>
#include <time.h>

struct buf;

/* date-text "d-Mon-yyyy" (day 1 or 2 digits, month case-insensitive): the day as days
 * since 1970-01-01 (may be negative). 0 ok, -1 invalid (also an impossible day). */
int imap_date_parse(const char *s, long *day_r);
/* date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d"): UTC seconds and the zone
 * offset in seconds east of UTC. 0 ok, -1 invalid. */
int imap_date_time_parse(const char *s, time_t *t_r, long *tz_r);
/* Writes the quoted date-time of t shown in zone tz (seconds east of UTC). */
void imap_date_time_write(struct buf *out, time_t t, long tz);
/* The day number (as imap_date_parse) on which t falls in zone tz ("disregarding time and
 * timezone", RFC 3501 6.4.4, means the date as written in the message's own zone). */
long imap_date_day(time_t t, long tz);

#endif
