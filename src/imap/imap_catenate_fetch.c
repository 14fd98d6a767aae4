/* CATENATE URL parts (RFC 4469 5): the bytes an IMAP URL names, read from the logged-in
 * account's own mailboxes through a read-only view (no \Recent claimed, no \Seen set). */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_catenate.h"
#include "imap/imap_session.h"
#include "store/store_urlauth.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

int
imap_catenate_url_fetch(struct imap_session *s, const char *url, size_t len, struct buf *out)
{
	struct imap_url u;
	const char *error;
	int ret = -1;

	/* RFC 4469 5: a URLAUTH-authorized URL is for URLFETCH / BURL, not a part here */
	if (imap_url_parse(url, len, &u, &error) < 0 || u.access != NULL) {
		imap_url_free(&u);
		return -1;
	}
	/* RFC 4469 5: only the logged-in user's own messages */
	if (u.user == NULL || *u.user == '\0' || str_casecmp(u.user, s->account) == 0)
		ret = store_url_read(s->acct, &u, out);
	imap_url_free(&u);
	return ret;
}
