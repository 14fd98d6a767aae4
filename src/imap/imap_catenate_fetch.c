/* CATENATE URL parts (RFC 4469 5): the bytes an IMAP URL names, read from the logged-in
 * account's own mailboxes through a read-only view (no \Recent claimed, no \Seen set). */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_catenate.h"
#include "imap/imap_session.h"
#include "mail/mime_parts.h"
#include "mail/rfc5322.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_view.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

/* Appends the section (or the whole message) of uid in view to out. 0 ok, -1. */
static int
url_section(struct store_view *view, const struct imap_url *u, struct buf *out)
{
	struct mime_section_spec spec;
	struct mime_section_range range;
	struct mime_parts parts = {NULL, 0};
	struct store_msg_meta meta;
	struct buf raw = BUF_INIT;
	const char *error, *sec = u->section != NULL ? u->section : "";
	int ret = -1;

	if (store_msg_get(view, u->uid, STORE_MSG_PARTS, &meta, &error) != 1 ||
	    meta.parts.data == NULL ||
	    mime_parts_decode(meta.parts.data, meta.parts.len, &parts) < 0)
		return -1;
	if (mime_section_parse(sec, strlen(sec), &spec, &error) < 0) {
		mime_parts_free(&parts);
		return -1;
	}
	if (mime_section_find(&parts, &spec, &range) == 0 &&
	    store_msg_read(view, u->uid, range.offset, range.size, &raw, &error) == 0) {
		if (range.filter)
			rfc5322_header_filter(buf_cstr(&raw), raw.len,
					      (const char *const *)spec.fields, spec.nfields,
					      spec.kind == MIME_SECTION_HEADER_FIELDS_NOT, out);
		else
			buf_append(out, raw.data != NULL ? raw.data : "", raw.len);
		ret = 0;
	}
	buf_free(&raw);
	mime_section_spec_free(&spec);
	mime_parts_free(&parts);
	return ret;
}

int
imap_url_read(struct store_account *acct, const struct imap_url *u, struct buf *out)
{
	struct store_view *view = NULL;
	struct buf part = BUF_INIT;
	const char *error;
	char *name = xstrdup(u->mailbox);
	int ret = -1;

	if (store_mailbox_name_normalize(name) == 0 &&
	    store_view_open(acct, name, true, &view, &error) == 0 &&
	    (u->uidvalidity == 0 || u->uidvalidity == store_view_uidvalidity(view)) &&
	    url_section(view, u, &part) == 0) {
		/* RFC 5092 3: ;partial=offset[.length] of the section */
		uint64_t start = 0, n = part.len;

		if (u->partial) {
			start = u->partial_offset < part.len ? u->partial_offset : part.len;
			n = part.len - start;
			if (u->partial_len < n)
				n = u->partial_len;
		}
		if (n > 0)
			buf_append(out, part.data + start, n);
		ret = 0;
	}
	if (view != NULL)
		store_view_close(&view);
	buf_free(&part);
	free(name);
	return ret;
}

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
		ret = imap_url_read(s->acct, &u, out);
	imap_url_free(&u);
	return ret;
}
