/* Organizational domain and alignment (RFC 7489 3.1, 3.2) over libpsl. */
#include "mailauth/dmarc_org.h"

#include <libpsl.h>
#include <pthread.h>
#include <string.h>

static const psl_ctx_t *psl;
static const char *psl_source = "none";
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static psl_ctx_t *psl_loaded; /* kept for the life of the process: the list is read once */

static void
psl_load(void)
{
	/* psl_latest(NULL): the newer of the distribution file (Debian: /usr/share/publicsuffix)
	 * and the copy built into libpsl. */
	psl_loaded = psl_latest(NULL);
	if (psl_loaded != NULL) {
		psl = psl_loaded;
		psl_source = "latest";
		return;
	}
	psl = psl_builtin();
	psl_source = "builtin";
}

const char *
dmarc_org_source(void)
{
	pthread_once(&psl_once, psl_load);
	return psl_source;
}

/* Lower-cased copy without a trailing dot; false when empty or too long. */
static bool
normalize(const char *d, char out[DMARC_DOMAIN_MAX])
{
	size_t n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n >= DMARC_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return true;
}

bool
dmarc_org_domain(const char *domain, char out[DMARC_DOMAIN_MAX])
{
	char d[DMARC_DOMAIN_MAX];
	const char *reg = NULL;

	if (!normalize(domain, d))
		return false;
	pthread_once(&psl_once, psl_load);
	if (psl != NULL)
		reg = psl_registrable_domain(psl, d);
	if (reg == NULL)
		reg = d; /* a public suffix itself: its own organizational domain */
	memmove(out, reg, strlen(reg) + 1);
	return true;
}

bool
dmarc_aligned(const char *from, const char *id, enum dmarc_align mode)
{
	char a[DMARC_DOMAIN_MAX], b[DMARC_DOMAIN_MAX];

	if (mode == DMARC_ALIGN_STRICT)
		return normalize(from, a) && normalize(id, b) && strcmp(a, b) == 0;
	return dmarc_org_domain(from, a) && dmarc_org_domain(id, b) && strcmp(a, b) == 0;
}
