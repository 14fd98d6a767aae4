/* msg_summary_build(): everything the store caches about a message, from one parse of
 * its MIME structure: ENVELOPE, BODY, BODYSTRUCTURE, the serialized part tree, the sent
 * date and the decoded header fields SEARCH and SORT use. */
#include "mail/msg_summary.h"

#include <string.h>

#include "mail/imap_bodystructure.h"
#include "mail/imap_envelope.h"
#include "mail/mime.h"
#include "mail/mime_parts.h"
#include "mail/msg_sortkeys.h"
#include "mail/rfc2047.h"
#include "mail/rfc5322.h"

static void
decoded(struct buf *out, const struct mime_tree *t, struct mime_str s)
{
	const char *v = mime_tree_str(t, s);

	if (v != NULL)
		rfc2047_decode(v, s.len, out);
}

void
msg_summary_build(const char *msg, size_t len, struct msg_summary *out)
{
	struct mime_tree t;
	const struct mime_part *root;
	const char *v;

	memset(out, 0, sizeof(*out));
	mime_tree_parse(&t, msg, len);
	root = &t.parts[0];
	imap_envelope_write(&out->envelope, &t, root);
	imap_bodystructure_write(&out->body, &t, 0, false);
	imap_bodystructure_write(&out->bodystructure, &t, 0, true);
	mime_parts_serialize(&out->parts, &t);
	v = mime_tree_str(&t, root->env[MIME_ENV_DATE]);
	if (v == NULL || rfc5322_date_parse(v, root->env[MIME_ENV_DATE].len, &out->sent_date,
					    &out->sent_tz) < 0) {
		out->sent_date = 0;
		out->sent_tz = 0;
	}
	decoded(&out->subject, &t, root->env[MIME_ENV_SUBJECT]);
	decoded(&out->from, &t, root->env[MIME_ENV_FROM]);
	decoded(&out->to, &t, root->env[MIME_ENV_TO]);
	decoded(&out->cc, &t, root->env[MIME_ENV_CC]);
	v = mime_tree_str(&t, root->env[MIME_ENV_MESSAGE_ID]);
	if (v != NULL)
		buf_append(&out->message_id, v, root->env[MIME_ENV_MESSAGE_ID].len);
	msg_sortkeys_build(msg, root->hdr_size < len ? root->hdr_size : len, &out->sortkeys);
	out->header_size = root->hdr_size;
	out->body_lines = root->body_lines;
	mime_tree_free(&t);
}

void
msg_summary_free(struct msg_summary *s)
{
	buf_free(&s->envelope);
	buf_free(&s->body);
	buf_free(&s->bodystructure);
	buf_free(&s->parts);
	buf_free(&s->subject);
	buf_free(&s->from);
	buf_free(&s->to);
	buf_free(&s->cc);
	buf_free(&s->message_id);
	buf_free(&s->sortkeys);
}
