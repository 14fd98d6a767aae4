/* Accept-Language negotiation (see http_lang.h). */
#include "http/http_lang.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as
 * thousandths; -1 when malformed */
static int
parse_q(const char *p, size_t n)
{
	int q = 0, scale = 100;
	size_t i;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

enum http_lang
http_lang_pick(const char *h)
{
	enum http_lang best = HTTP_LANG_EN;
	int best_q = 0;
	unsigned entries = 0;

	while (h != NULL && *h != '\0' && entries++ < 64) {
		size_t len = strcspn(h, ","), tag_len;
		const char *semi = memchr(h, ';', len), *tag = h;
		int q = 1000;

		while (*tag == ' ' || *tag == '\t')
			tag++;
		tag_len = (size_t)((semi != NULL ? semi : h + len) - tag);
		while (tag_len > 0 && (tag[tag_len - 1] == ' ' || tag[tag_len - 1] == '\t'))
			tag_len--;
		if (semi != NULL) {
			const char *qp = semi + 1;
			while (*qp == ' ' || *qp == '\t')
				qp++;
			if ((qp[0] == 'q' || qp[0] == 'Q') && qp[1] == '=') {
				size_t qn = (size_t)(h + len - (qp + 2));
				while (qn > 0 && (qp[2 + qn - 1] == ' ' || qp[2 + qn - 1] == '\t'))
					qn--;
				q = parse_q(qp + 2, qn);
			}
		}
		/* the primary subtag: "ja", "ja-JP"; "*" and others are not ours */
		if (q > best_q && tag_len >= 2 && (tag_len == 2 || tag[2] == '-')) {
			if (str_ncasecmp(tag, "ja", 2) == 0) {
				best = HTTP_LANG_JA;
				best_q = q;
			} else if (str_ncasecmp(tag, "en", 2) == 0) {
				best = HTTP_LANG_EN;
				best_q = q;
			}
		}
		h += len;
		if (*h == ',')
			h++;
	}
	return best;
}
