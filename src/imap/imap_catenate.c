/* CATENATE URL and APPEND argument parsing (RFC 4469 5, RFC 5092 3 and 6, RFC 3502 6):
 * see imap_catenate.h. */
#include "imap/imap_catenate.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_date.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
imap_append_msgs_free(struct imap_append_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		imap_flag_list_free(&msgs[i].flags);
		free(msgs[i].parts);
	}
	free(msgs);
}

/* CATENATE's list: 1*cat-part, cat-part = "TEXT" SP literal / "URL" SP astring
 * (RFC 4469 5; with BINARY, TEXT may be a literal8: RFC 4469 5 text-literal). */
static int
parse_cat_parts(const struct imap_arg *list, struct imap_append_msg *m, const char **error_r)
{
	if (list->type != IMAP_ARG_LIST || list->count == 0 || list->count % 2 != 0) {
		*error_r = "CATENATE needs a list of TEXT and URL parts";
		return -1;
	}
	m->parts = xcalloc(list->count / 2, sizeof(*m->parts));
	for (size_t i = 0; i < list->count; i += 2) {
		const struct imap_arg *kw = &list->list[i], *val = &list->list[i + 1];
		struct imap_cat_part *part = &m->parts[m->n_parts++];

		if (imap_arg_atom_equals(kw, "TEXT") && val->type == IMAP_ARG_LITERAL) {
			part->type = IMAP_CAT_TEXT;
		} else if (imap_arg_atom_equals(kw, "URL") && val->type != IMAP_ARG_LIST &&
			   !(val->flags & (IMAP_ARG_FLAG_NUL | IMAP_ARG_FLAG_LITERAL8))) {
			part->type = IMAP_CAT_URL;
		} else {
			*error_r = "Invalid CATENATE part";
			return -1;
		}
		part->arg = val;
	}
	return 0;
}

int
imap_append_args_parse(const struct imap_arg *args, size_t count, struct imap_append_msg **msgs_r,
		       size_t *n_r, const char **error_r)
{
	struct imap_append_msg *msgs = NULL;
	size_t n = 0, i = 1;
	const char *date;

	*msgs_r = NULL;
	*n_r = 0;
	while (i < count) {
		struct imap_append_msg *m;

		msgs = xrealloc(msgs, (n + 1) * sizeof(*msgs));
		m = &msgs[n++];
		memset(m, 0, sizeof(*m));
		if (args[i].type == IMAP_ARG_LIST) {
			if (imap_flags_parse(&args[i], 1, &m->flags, error_r) < 0)
				goto fail;
			i++;
		}
		if (i < count && args[i].type == IMAP_ARG_QUOTED) {
			if (!imap_arg_get_string(&args[i], &date) ||
			    imap_date_time_parse(date, &m->date, &m->tz) < 0) {
				*error_r = "Invalid date-time";
				goto fail;
			}
			m->has_date = true;
			i++;
		}
		if (i < count && args[i].type == IMAP_ARG_LITERAL) {
			m->literal = &args[i++];
		} else if (i + 1 < count && imap_arg_atom_equals(&args[i], "CATENATE")) {
			if (parse_cat_parts(&args[i + 1], m, error_r) < 0)
				goto fail;
			i += 2;
		} else {
			*error_r = "APPEND needs the message as a literal or CATENATE";
			goto fail;
		}
	}
	if (n == 0) {
		*error_r = "APPEND needs a mailbox and a message";
		return -1;
	}
	*msgs_r = msgs;
	*n_r = n;
	return 0;
fail:
	imap_append_msgs_free(msgs, n);
	return -1;
}
