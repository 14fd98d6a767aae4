/* IMAP4rev2 (RFC 9051) beside IMAP4rev1: once a client has sent ENABLE IMAP4rev2, mailbox
 * names are UTF-8 on the wire (RFC 9051 5.1, 6.3.1) instead of modified UTF-7. The other
 * rev2 differences live where they apply: no RECENT, no \Recent and no [UNSEEN] at SELECT
 * (imap_sync.c, imap_cmd_mailbox.c), SEARCH answered with ESEARCH (imap_search_eval.c),
 * [CLOSED] on an implicit close (imap_cmd_mailbox.c). */
#include "imap/imap_mutf7.h"
#include "imap/imap_session.h"
#include "imap/imap_write.h"
#include "util/buf.h"
#include "util/utf8.h"

#include <string.h>

void
imap_mailbox_write(const struct imap_session *s, struct buf *out, const char *utf8_name)
{
	if (s->rev2)
		imap_write_astr(out, utf8_name);
	else
		imap_write_mailbox(out, utf8_name);
}

int
imap_mailbox_decode(const struct imap_session *s, const char *raw, struct buf *out,
		    const char **error_r)
{
	if (!s->rev2)
		return imap_mutf7_decode(raw, out, error_r);
	if (!utf8_valid(raw, strlen(raw))) {
		*error_r = "Mailbox name is not valid UTF-8";
		return -1;
	}
	buf_appends(out, raw);
	return 0;
}
