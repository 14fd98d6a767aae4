/* RFC 5322 3.3 dates: a tolerant parser for the Date: values found in real mail
 * (obsolete zones and years of 4.3, missing parts, asctime order, trailing comments)
 * and formatting for Date: and Received:. The strict IMAP date grammar is imap/imap_date.c.
 * No locale and no TZ environment are involved anywhere. */
#include "mail/rfc5322.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/calendar.h"
#include "util/str.h"

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct date_scan {
	const char *p, *end;
};

struct date_parts {
	int year, mon, day, hour, min, sec;
	long tz;
};

static int
parts_to_time(const struct date_parts *d, time_t *t_r, long *tz_r)
{
	long long secs;

	if (d->mon < 1 || d->mon > 12 || d->day < 1 ||
	    d->day > calendar_days_in_month(d->year, d->mon) || d->hour > 23 || d->min > 59 ||
	    d->sec > 60 || d->year < 1 || d->year > 9999)
		return -1;
	secs = calendar_days_from_civil(d->year, d->mon, d->day) * 86400LL + d->hour * 3600 +
	       d->min * 60 + d->sec - d->tz;
	*t_r = (time_t)secs;
	if (tz_r != NULL)
		*tz_r = d->tz;
	return 0;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads up to max digits; returns the count read (0 = none) and the value. */
static int
read_num(struct date_scan *s, int max, int *v_r)
{
	int n = 0, v = 0;

	while (s->p < s->end && is_digit(*s->p) && n < max) {
		v = v * 10 + (*s->p - '0');
		s->p++;
		n++;
	}
	*v_r = v;
	return n;
}

static size_t
read_word(struct date_scan *s, const char **w_r)
{
	*w_r = s->p;
	while (s->p < s->end && is_alpha(*s->p))
		s->p++;
	return (size_t)(s->p - *w_r);
}

/* Month from a name of which only the first three letters count ("March"). 1..12, 0. */
static int
month_from(const char *w, size_t len)
{
	int i;

	if (len < 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (str_ncasecmp(w, month_names[i], 3) == 0)
			return i + 1;
	return 0;
}

static bool
accept(struct date_scan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* RFC 5322 4.3 obsolete zones; military letters mean nothing reliable: -0000. */
static int
zone_from_name(const char *w, size_t len, long *tz_r)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"EST", -5}, {"EDT", -4},
		     {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strlen(zones[i].name) == len && str_ncasecmp(w, zones[i].name, len) == 0) {
			*tz_r = zones[i].hours * 3600L;
			return 0;
		}
	}
	*tz_r = 0;
	return len == 1 ? 0 : -1;
}

static void
parse_zone(struct date_scan *s, long *tz_r)
{
	const char *w;
	size_t len;
	int hh, mm = 0, n;
	char sign;

	*tz_r = 0;
	s->p = rfc5322_skip_cfws(s->p, s->end);
	if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
		sign = *s->p++;
		n = read_num(s, 2, &hh);
		if (n != 2)
			return;
		accept(s, ':');
		if (read_num(s, 2, &mm) != 2 || mm > 59)
			return;
		*tz_r = (sign == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
		return;
	}
	len = read_word(s, &w);
	if (len > 0)
		(void)zone_from_name(w, len, tz_r);
}

/* hh:mm[:ss] */
static int
parse_time(struct date_scan *s, struct date_parts *d)
{
	s->p = rfc5322_skip_cfws(s->p, s->end);
	if (read_num(s, 2, &d->hour) == 0 || !accept(s, ':'))
		return -1;
	if (read_num(s, 2, &d->min) == 0)
		return -1;
	d->sec = 0;
	if (accept(s, ':') && read_num(s, 2, &d->sec) == 0)
		return -1;
	return 0;
}

/* RFC 5322 4.3: 2-digit years < 50 are 20xx, other 2- and 3-digit years + 1900. */
static int
fix_year(int year, int ndigits)
{
	if (ndigits == 2)
		return year < 50 ? year + 2000 : year + 1900;
	if (ndigits == 3)
		return year + 1900;
	return year;
}

/* asctime order after the day name: "Feb 15 01:02:03 2007 [zone]". */
static int
parse_asctime(struct date_scan *s, struct date_parts *d, int mon)
{
	int n;

	d->mon = mon;
	s->p = rfc5322_skip_cfws(s->p, s->end);
	if (read_num(s, 2, &d->day) == 0 || parse_time(s, d) < 0)
		return -1;
	s->p = rfc5322_skip_cfws(s->p, s->end);
	n = read_num(s, 4, &d->year);
	if (n < 2)
		return -1;
	d->year = fix_year(d->year, n);
	parse_zone(s, &d->tz);
	return 0;
}

int
rfc5322_date_parse(const char *str, size_t len, time_t *t_r, long *tz_r)
{
	struct date_scan s = {str, str + len};
	struct date_parts d = {0, 0, 0, 0, 0, 0, 0};
	const char *w;
	size_t wlen;
	int n;

	s.p = rfc5322_skip_cfws(s.p, s.end);
	wlen = read_word(&s, &w);
	if (wlen > 0) {
		/* a day name ("Thu", "Thursday"), or asctime's month after it */
		int mon = month_from(w, wlen);

		if (mon > 0 && wlen <= 3 && (s.p >= s.end || *s.p != ','))
			return parse_asctime(&s, &d, mon) < 0 ? -1 : parts_to_time(&d, t_r, tz_r);
		s.p = rfc5322_skip_cfws(s.p, s.end);
		accept(&s, ',');
		s.p = rfc5322_skip_cfws(s.p, s.end);
		if (s.p < s.end && is_alpha(*s.p)) {
			wlen = read_word(&s, &w);
			mon = month_from(w, wlen);
			if (mon == 0 || parse_asctime(&s, &d, mon) < 0)
				return -1;
			return parts_to_time(&d, t_r, tz_r);
		}
	}
	if (read_num(&s, 2, &d.day) == 0)
		return -1;
	s.p = rfc5322_skip_cfws(s.p, s.end);
	accept(&s, '-');
	s.p = rfc5322_skip_cfws(s.p, s.end);
	wlen = read_word(&s, &w);
	d.mon = month_from(w, wlen);
	if (d.mon == 0)
		return -1;
	s.p = rfc5322_skip_cfws(s.p, s.end);
	accept(&s, '-');
	s.p = rfc5322_skip_cfws(s.p, s.end);
	n = read_num(&s, 4, &d.year);
	if (n < 2)
		return -1;
	d.year = fix_year(d.year, n);
	if (parse_time(&s, &d) < 0)
		return -1;
	parse_zone(&s, &d.tz);
	return parts_to_time(&d, t_r, tz_r);
}

static void
split_time(time_t t, long tz, struct tm *tm)
{
	time_t local = t + tz;

	gmtime_r(&local, tm);
}

void
rfc5322_date_format(time_t t, long tz, char out[RFC5322_DATE_MAX])
{
	struct tm tm;
	long a = labs(tz) / 60;

	split_time(t, tz, &tm);
	snprintf(out, RFC5322_DATE_MAX, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		 day_names[tm.tm_wday % 7], tm.tm_mday, month_names[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+',
		 (a / 60) % 100, a % 60);
}
