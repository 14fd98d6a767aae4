/* Value syntax shared by the config keys: lists, host names, host:port pairs, durations
 * with units and sizes with suffixes. Pure functions, no allocation kept on error. */
#include "conf/settings.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

char **
settings_split_list(const char *value)
{
	char *copy = xstrdup(value);
	char **items;

	for (char *p = copy; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p = ',';
	items = str_split(copy, ',');
	free(copy);
	return items;
}

static bool
valid_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

bool
settings_valid_hostname(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!valid_label_char(name[i]) || (label == 0 && name[i] == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return name[len - 1] != '-';
}

static bool
valid_host(const char *host, bool bracketed)
{
	unsigned char addr[16];

	if (*host == '\0')
		return !bracketed;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return true;
	if (inet_pton(AF_INET, host, addr) == 1)
		return true;
	return settings_valid_hostname(host);
}

static int
parse_port(const char *s, unsigned short *port_r)
{
	unsigned long long v;

	if (str_to_u64(s, &v) < 0 || v == 0 || v > 65535)
		return -1;
	*port_r = (unsigned short)v;
	return 0;
}

int
settings_split_hostport(const char *value, unsigned short default_port, char **host_r,
			unsigned short *port_r, bool *bracketed_r)
{
	const char *colon, *hend;
	const char *hstart = value;
	bool bracketed = false;
	char *host;

	*port_r = default_port;
	if (value[0] == '[') {
		hstart = value + 1;
		hend = strchr(hstart, ']');
		if (hend == NULL || (hend[1] != '\0' && hend[1] != ':'))
			return -1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		bracketed = true;
	} else {
		colon = strchr(value, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 literal, no port */
		hend = colon != NULL ? colon : value + strlen(value);
	}
	if (colon != NULL && parse_port(colon + 1, port_r) < 0)
		return -1;
	host = xstrndup(hstart, (size_t)(hend - hstart));
	if (!valid_host(host, bracketed)) {
		free(host);
		return -1;
	}
	*host_r = host;
	if (bracketed_r != NULL)
		*bracketed_r = bracketed;
	return 0;
}

/* Splits "<digits><unit>" into the number and the unit text. */
static int
split_number(const char *value, unsigned long long *num_r, const char **unit_r)
{
	char digits[32];
	size_t n = 0;

	while (value[n] >= '0' && value[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, value, n);
	digits[n] = '\0';
	if (str_to_u64(digits, num_r) < 0)
		return -1;
	*unit_r = value + n;
	return 0;
}

static int
scale(unsigned long long num, unsigned long long mult, unsigned long long *out_r)
{
	if (num != 0 && mult > ~0ULL / num)
		return -1;
	*out_r = num * mult;
	return 0;
}

int
settings_parse_duration(const char *value, unsigned long long *seconds_r)
{
	static const struct {
		const char *unit;
		unsigned long long mult;
	} units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800}};
	unsigned long long num;
	const char *unit;

	if (split_number(value, &num, &unit) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].unit) == 0)
			return scale(num, units[i].mult, seconds_r);
	return -1;
}

int
settings_parse_size(const char *value, unsigned long long *bytes_r)
{
	unsigned long long num, mult;
	const char *unit;

	if (split_number(value, &num, &unit) < 0)
		return -1;
	switch (unit[0]) {
	case '\0':
		mult = 1;
		break;
	case 'k':
	case 'K':
		mult = 1024ULL;
		break;
	case 'm':
	case 'M':
		mult = 1024ULL * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (unit[0] != '\0' && unit[1] != '\0')
		return -1;
	return scale(num, mult, bytes_r);
}
