/* Total and per-IP connection counts (see conn_limits.h). */
#include "net/conn_limits.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/strmap.h"
#include "util/xmalloc.h"

struct conn_limits {
	struct strmap *per_ip; /* ip -> count, stored as a pointer-sized integer */
	unsigned total;
};

struct conn_limits *
conn_limits_new(void)
{
	struct conn_limits *l = xcalloc(1, sizeof(*l));

	l->per_ip = strmap_new();
	return l;
}

void
conn_limits_free(struct conn_limits **lp)
{
	if (*lp == NULL)
		return;
	strmap_free(&(*lp)->per_ip);
	free(*lp);
	*lp = NULL;
}

enum conn_limits_result
conn_limits_add(struct conn_limits *l, const char *ip, unsigned max_total, unsigned max_per_ip)
{
	uintptr_t n = (uintptr_t)strmap_get(l->per_ip, ip) + 1;

	strmap_set(l->per_ip, ip, (void *)n);
	l->total++;
	if (max_total != 0 && l->total > max_total)
		return CONN_LIMITS_TOTAL;
	if (max_per_ip != 0 && n > max_per_ip)
		return CONN_LIMITS_PER_IP;
	return CONN_LIMITS_OK;
}

void
conn_limits_remove(struct conn_limits *l, const char *ip)
{
	uintptr_t n = (uintptr_t)strmap_get(l->per_ip, ip);

	if (n == 0)
		return;
	strmap_set(l->per_ip, ip, n == 1 ? NULL : (void *)(n - 1));
	l->total--;
}

unsigned
conn_limits_total(const struct conn_limits *l)
{
	return l->total;
}
