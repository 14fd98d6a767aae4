/* IMAP ENVELOPE generation (RFC 3501 7.4.2): nstrings for the unstructured fields and
 * address structures (name adl mailbox host) with group markers for the rest. */
#include "mail/imap_envelope.h"

#include "mail/imap_quote.h"
#include "mail/rfc5322.h"

static void
write_addr(struct buf *out, const struct rfc5322_addr *a)
{
	buf_appendc(out, '(');
	imap_quote_append_nstr(out, a->name);
	buf_appendc(out, ' ');
	imap_quote_append_nstr(out, a->route);
	buf_appendc(out, ' ');
	imap_quote_append_nstr(out, a->mailbox);
	buf_appendc(out, ' ');
	imap_quote_append_nstr(out, a->domain);
	buf_appendc(out, ')');
}

static void
write_list(struct buf *out, const struct rfc5322_addr_list *l)
{
	size_t i;

	if (l->count == 0) {
		buf_append(out, "NIL", 3);
		return;
	}
	buf_appendc(out, '(');
	for (i = 0; i < l->count; i++)
		write_addr(out, &l->addrs[i]);
	buf_appendc(out, ')');
}

void
imap_envelope_write_addresses(struct buf *out, const char *value, size_t len)
{
	struct rfc5322_addr_list l;

	if (value == NULL) {
		buf_append(out, "NIL", 3);
		return;
	}
	rfc5322_addr_list_parse(value, len, &l);
	write_list(out, &l);
	rfc5322_addr_list_free(&l);
}

static void
write_nstring(struct buf *out, const struct mime_tree *t, struct mime_str s)
{
	imap_quote_append_nstring(out, mime_tree_str(t, s), s.len);
}

void
imap_envelope_write(struct buf *out, const struct mime_tree *t, const struct mime_part *p)
{
	struct rfc5322_addr_list from, l;
	int i;

	buf_appendc(out, '(');
	write_nstring(out, t, p->env[MIME_ENV_DATE]);
	buf_appendc(out, ' ');
	write_nstring(out, t, p->env[MIME_ENV_SUBJECT]);
	rfc5322_addr_list_parse(mime_tree_str(t, p->env[MIME_ENV_FROM]) != NULL
					? mime_tree_str(t, p->env[MIME_ENV_FROM])
					: "",
				p->env[MIME_ENV_FROM].len, &from);
	for (i = MIME_ENV_FROM; i <= MIME_ENV_BCC; i++) {
		const char *v = mime_tree_str(t, p->env[i]);

		buf_appendc(out, ' ');
		if (i == MIME_ENV_FROM) {
			write_list(out, &from);
			continue;
		}
		rfc5322_addr_list_parse(v != NULL ? v : "", p->env[i].len, &l);
		/* RFC 3501 7.4.2: absent or empty Sender / Reply-To: same as From */
		if (l.count == 0 && (i == MIME_ENV_SENDER || i == MIME_ENV_REPLY_TO))
			write_list(out, &from);
		else
			write_list(out, &l);
		rfc5322_addr_list_free(&l);
	}
	rfc5322_addr_list_free(&from);
	buf_appendc(out, ' ');
	write_nstring(out, t, p->env[MIME_ENV_IN_REPLY_TO]);
	buf_appendc(out, ' ');
	write_nstring(out, t, p->env[MIME_ENV_MESSAGE_ID]);
	buf_appendc(out, ')');
}
