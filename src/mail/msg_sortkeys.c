/* msg_sortkeys_build() / _parse(): the blob is a version byte, a flags byte, then the
 * keys in enum order, each followed by a NUL (a NUL inside a key is replaced). */
#include "mail/msg_sortkeys.h"

#include <string.h>

#include "mail/base_subject.h"
#include "mail/message_id.h"
#include "mail/rfc2047.h"
#include "mail/rfc5322.h"
#include "util/str.h"

#define SORTKEYS_VERSION '1'

enum hdr { H_SUBJECT, H_FROM, H_TO, H_CC, H_MESSAGE_ID, H_IN_REPLY_TO, H_REFERENCES, H_COUNT };
static const char *const hdr_names[H_COUNT] = {"Subject",    "From",        "To",        "Cc",
					       "Message-ID", "In-Reply-To", "References"};

static void
append_key(struct buf *out, const char *s, size_t len, bool upper)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\0')
			c = ' ';
		else if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		buf_appendc(out, c);
	}
	buf_appendc(out, '\0');
}

/* SORT FROM/TO/CC (RFC 5256 3): the addr-mailbox of the first address, which for a group
 * is its name (as in the IMAP ENVELOPE); DISPLAYFROM/TO (RFC 5957 3): the display name
 * decoded (RFC 2047), else the addr-spec. */
static void
append_addr(struct buf *out, const struct rfc5322_field *f, bool display)
{
	struct rfc5322_addr_list l;
	struct buf tmp = BUF_INIT;

	if (f->value == NULL) {
		buf_appendc(out, '\0');
		return;
	}
	rfc5322_addr_list_parse(f->value, f->value_len, &l);
	if (l.count > 0 && !l.addrs[0].group_end) {
		const struct rfc5322_addr *a = &l.addrs[0];
		const char *mbox = a->mailbox != NULL ? a->mailbox : "";

		if (!display) {
			buf_appends(&tmp, mbox);
		} else if (a->group_start) {
			rfc2047_decode(mbox, strlen(mbox), &tmp);
		} else if (a->name != NULL && a->name[0] != '\0') {
			rfc2047_decode(a->name, strlen(a->name), &tmp);
		} else {
			buf_appends(&tmp, mbox);
			if (a->domain != NULL && a->domain[0] != '\0')
				buf_printf(&tmp, "@%s", a->domain);
		}
	}
	rfc5322_addr_list_free(&l);
	append_key(out, tmp.data != NULL ? tmp.data : "", tmp.len, true);
	buf_free(&tmp);
}

static void
append_ids(struct buf *out, const struct rfc5322_field *f, bool all)
{
	const char *p = f->value, *end = p != NULL ? p + f->value_len : NULL, *id;
	size_t len;
	bool first = true;

	while (p != NULL && message_id_next(&p, end, &id, &len)) {
		if (!first)
			buf_appendc(out, ' ');
		buf_append(out, id, len);
		first = false;
		if (!all)
			break;
	}
	buf_appendc(out, '\0');
}

void
msg_sortkeys_build(const char *hdr, size_t len, struct buf *out)
{
	struct rfc5322_field fields[H_COUNT], f;
	struct rfc5322_header_iter it;
	struct buf subj = BUF_INIT, base = BUF_INIT;
	bool reply = false;

	memset(fields, 0, sizeof(fields));
	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon)
			continue;
		for (int h = 0; h < H_COUNT; h++) {
			if (fields[h].value == NULL && f.name_len == strlen(hdr_names[h]) &&
			    str_ncasecmp(f.name, hdr_names[h], f.name_len) == 0)
				fields[h] = f;
		}
	}
	if (fields[H_SUBJECT].value != NULL)
		rfc2047_decode(fields[H_SUBJECT].value, fields[H_SUBJECT].value_len, &subj);
	base_subject(buf_cstr(&subj), subj.len, &base, &reply);
	buf_appendc(out, SORTKEYS_VERSION);
	buf_appendc(out, reply ? '1' : '0');
	append_key(out, buf_cstr(&base), base.len, false);
	append_addr(out, &fields[H_FROM], false);
	append_addr(out, &fields[H_TO], false);
	append_addr(out, &fields[H_CC], false);
	append_addr(out, &fields[H_FROM], true);
	append_addr(out, &fields[H_TO], true);
	append_ids(out, &fields[H_MESSAGE_ID], false);
	append_ids(out, &fields[H_IN_REPLY_TO], false);
	append_ids(out, &fields[H_REFERENCES], true);
	buf_free(&subj);
	buf_free(&base);
}

int
msg_sortkeys_parse(const char *blob, size_t len, struct msg_sortkeys *out)
{
	const char *p, *end;

	if (blob == NULL || len < 2 || blob[0] != SORTKEYS_VERSION)
		return -1;
	p = blob + 2;
	end = blob + len;
	out->subject_reply = blob[1] == '1';
	for (int k = 0; k < MSG_SORTKEY_COUNT; k++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (nul == NULL)
			return -1;
		out->key[k] = p;
		out->len[k] = (size_t)(nul - p);
		p = nul + 1;
	}
	return 0;
}
