/* The bytes an IMAP URL names (RFC 5092), for CATENATE, URLFETCH and BURL, and the
 * URLAUTH checks before an authorized URL is read (RFC 4467 6.3, RFC 4468 3): see
 * store_urlauth.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/imap_url.h"
#include "mail/mime_parts.h"
#include "mail/rfc5322.h"
#include "store/store_account.h"
#include "store/store_mailbox.h"
#include "store/store_msg.h"
#include "store/store_urlauth.h"
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
store_url_read(struct store_account *acct, const struct imap_url *u, struct buf *out)
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

/* RFC 4467 3: whether requester may use a URL with this access identifier: anonymous,
 * authuser (any logged-in user: not for the submission server), user+NAME (NAME only),
 * submit+NAME (the submission server acting for NAME only). */
static bool
access_allows(const char *access, const char *requester, bool submit)
{
	if (str_casecmp(access, "anonymous") == 0)
		return true;
	if (str_casecmp(access, "authuser") == 0)
		return !submit;
	if (str_ncasecmp(access, "user+", 5) == 0)
		return !submit && str_casecmp(access + 5, requester) == 0;
	if (str_ncasecmp(access, "submit+", 7) == 0)
		return submit && str_casecmp(access + 7, requester) == 0;
	return false;
}

/* whole: the URL's whole message, not the section it names (store_urlauth_fetch_message) */
static int
urlauth_fetch(struct store *store, const char *url, size_t len, const char *requester, bool submit,
	      bool whole, struct buf *out)
{
	struct store_account *acct = NULL;
	struct imap_url u;
	const char *error;
	char *owner = NULL, *name = NULL;
	int ret = -1;

	if (imap_url_parse(url, len, &u, &error) < 0 || u.access == NULL || u.mechanism == NULL ||
	    str_casecmp(u.mechanism, "INTERNAL") != 0 || (u.has_expire && time(NULL) >= u.expire) ||
	    !access_allows(u.access, requester, submit) || (owner = imap_url_owner(&u)) == NULL)
		goto out;
	name = xstrdup(u.mailbox);
	if (str_casecmp(name, "INBOX") == 0)
		strcpy(name, "INBOX");
	if (store_mailbox_name_normalize(name) < 0 ||
	    (acct = store_account_open(store, owner, &error)) == NULL)
		goto out;
	if (store_urlauth_verify(acct, name, url, u.rump_len, u.token)) {
		struct imap_url msg = u;

		if (whole) {
			msg.section = NULL;
			msg.partial = false;
		}
		ret = store_url_read(acct, &msg, out);
	}
	store_account_unref(&acct);
out:
	imap_url_free(&u);
	free(owner);
	free(name);
	return ret;
}

int
store_urlauth_fetch(struct store *store, const char *url, size_t len, const char *requester,
		    bool submit, struct buf *out)
{
	return urlauth_fetch(store, url, len, requester, submit, false, out);
}

int
store_urlauth_fetch_message(struct store *store, const char *url, size_t len, const char *requester,
			    struct buf *out)
{
	return urlauth_fetch(store, url, len, requester, false, true, out);
}
