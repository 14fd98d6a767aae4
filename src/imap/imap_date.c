/* IMAP date and date-time (see imap_date.h). RFC 3501 9:
 *   date-text = date-day "-" date-month "-" date-year
 *   date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE */
#include "imap/imap_date.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/calendar.h"
#include "util/str.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static int
parse_digits(const char **s, unsigned n, unsigned *v_r)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + (unsigned)((*s)[i] - '0');
	}
	*s += n;
	*v_r = v;
	return 0;
}

/* "-Mon-yyyy" after the day; sets *s past it. */
static int
parse_month_year(const char **s, unsigned *m_r, unsigned *y_r)
{
	const char *p = *s;

	if (*p++ != '-')
		return -1;
	*m_r = 0;
	for (unsigned i = 0; i < 12; i++) {
		if (str_ncasecmp(p, months[i], 3) == 0)
			*m_r = i + 1;
	}
	if (*m_r == 0 || p[3] != '-')
		return -1;
	p += 4;
	if (parse_digits(&p, 4, y_r) < 0)
		return -1;
	*s = p;
	return 0;
}

static int
make_day(unsigned y, unsigned m, unsigned d, long *day_r)
{
	if (y < 1 || d < 1 || d > (unsigned)calendar_days_in_month(y, (int)m))
		return -1;
	*day_r = (long)calendar_days_from_civil(y, (int)m, (int)d);
	return 0;
}

int
imap_date_parse(const char *s, long *day_r)
{
	unsigned d, m, y;

	if (parse_digits(&s, 1, &d) < 0)
		return -1;
	if (*s >= '0' && *s <= '9')
		d = d * 10 + (unsigned)(*s++ - '0');
	if (parse_month_year(&s, &m, &y) < 0 || *s != '\0')
		return -1;
	return make_day(y, m, d, day_r);
}

/* "hh:mm:ss +zzzz" */
static int
parse_time_zone(const char *s, unsigned *secs_r, long *tz_r)
{
	unsigned hh, mm, ss, zh, zm;
	int sign;

	if (parse_digits(&s, 2, &hh) < 0 || *s++ != ':' || parse_digits(&s, 2, &mm) < 0 ||
	    *s++ != ':' || parse_digits(&s, 2, &ss) < 0 || *s++ != ' ')
		return -1;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (parse_digits(&s, 2, &zh) < 0 || parse_digits(&s, 2, &zm) < 0 || *s != '\0')
		return -1;
	if (hh > 23 || mm > 59 || ss > 60 || zm > 59)
		return -1;
	*secs_r = hh * 3600 + mm * 60 + ss;
	*tz_r = sign * (long)(zh * 3600 + zm * 60);
	return 0;
}

int
imap_date_time_parse(const char *s, time_t *t_r, long *tz_r)
{
	unsigned d, m, y, secs;
	long day;

	if (*s == ' ')
		s++; /* date-day-fixed = (SP DIGIT) / 2DIGIT */
	if (parse_digits(&s, 1, &d) < 0)
		return -1;
	if (*s >= '0' && *s <= '9')
		d = d * 10 + (unsigned)(*s++ - '0');
	if (parse_month_year(&s, &m, &y) < 0 || *s++ != ' ')
		return -1;
	if (parse_time_zone(s, &secs, tz_r) < 0 || make_day(y, m, d, &day) < 0)
		return -1;
	*t_r = (time_t)day * 86400 + (time_t)secs - (time_t)*tz_r;
	return 0;
}

long
imap_date_day(time_t t, long tz)
{
	long long local = (long long)t + tz;
	long long day = local / 86400;

	if (local % 86400 < 0)
		day--;
	return (long)day;
}

void
imap_date_time_write(struct buf *out, time_t t, long tz)
{
	time_t local = t + tz;
	struct tm tm;
	long atz = tz < 0 ? -tz : tz;

	gmtime_r(&local, &tm);
	buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld\"", tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		   tz < 0 ? '-' : '+', atz / 3600, (atz / 60) % 60);
}
