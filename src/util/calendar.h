/* The proleptic Gregorian calendar, without libc's time zone and locale machinery: for the
 * date parsers of RFC 5322 3.3 and IMAP (RFC 3501 9). */
#ifndef UTIL_CALENDAR_H
#define UTIL_CALENDAR_H
#include <stdbool.h>

/* Whether y is a leap year (divisible by 4, except centuries not divisible by 400). */
bool calendar_is_leap(long long y);
/* Days in month m (1-12) of year y; 0 when m is out of range. */
int calendar_days_in_month(long long y, int m);
/* Days since 1970-01-01 (negative before it) of the date y-m-d, m 1-12, d 1-31; the date
 * is not checked (see calendar_days_in_month). Howard Hinnant's days_from_civil. */
long long calendar_days_from_civil(long long y, int m, int d);

#endif
