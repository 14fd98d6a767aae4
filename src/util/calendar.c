/* Gregorian calendar arithmetic (see calendar.h). */
#include "util/calendar.h"

bool
calendar_is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
calendar_days_in_month(long long y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && calendar_is_leap(y) ? 29 : dm[m - 1];
}

long long
calendar_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	/* years start in March so that the leap day is the last day of the year */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
