/* FETCH item parsing (RFC 3501 6.4.5, 9 fetch-att; RFC 7162 3.1.4 CHANGEDSINCE and
 * 3.2.6 VANISHED): macros, simple items and BODY[section]<partial> into a fetch plan. */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_fetch.h"
#include "imap/imap_write.h"
#include "store/store_msg.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
imap_fetch_plan_free(struct imap_fetch_plan *plan)
{
	for (size_t i = 0; i < plan->n_sections; i++) {
		mime_section_spec_free(&plan->sections[i].spec);
		free(plan->sections[i].echo);
	}
	free(plan->sections);
	memset(plan, 0, sizeof(*plan));
}

/* The section's text as sent, for mime_section_parse() and the response. */
static void
section_text(struct buf *out, const struct imap_arg *args, size_t count, bool upper)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buf_appendc(out, ' ');
		if (args[i].type == IMAP_ARG_LIST) {
			buf_appendc(out, '(');
			section_text(out, args[i].list, args[i].count, false);
			buf_appendc(out, ')');
		} else if (upper) {
			size_t start = out->len;

			buf_append(out, args[i].str, args[i].len);
			str_upper(out->data + start);
		} else {
			imap_write_astring(out, args[i].str, args[i].len);
		}
	}
}

static struct imap_fetch_section *
add_section(struct imap_fetch_plan *plan)
{
	struct imap_fetch_section *sec;

	plan->sections = xrealloc(plan->sections, (plan->n_sections + 1) * sizeof(*sec));
	sec = &plan->sections[plan->n_sections++];
	memset(sec, 0, sizeof(*sec));
	return sec;
}

/* BODY[...] / BODY.PEEK[...] / RFC822 / RFC822.HEADER / RFC822.TEXT */
static int
parse_section(struct imap_fetch_plan *plan, const struct imap_arg *a, const char *prefix, bool peek,
	      const char **error_r)
{
	struct imap_fetch_section *sec = add_section(plan);
	struct buf text = BUF_INIT, echo = BUF_INIT;

	section_text(&text, a->list, a->count, true);
	if (mime_section_parse(buf_cstr(&text), text.len, &sec->spec, error_r) < 0) {
		buf_free(&text);
		plan->n_sections--;
		return -1;
	}
	sec->peek = peek;
	buf_printf(&echo, "%s[%s]", prefix, buf_cstr(&text));
	if (a->flags & IMAP_ARG_FLAG_PARTIAL) {
		sec->partial = true;
		sec->offset = a->partial_offset;
		sec->size = a->partial_size;
		/* RFC 3501 7.4.2: the response shows only the origin octet */
		buf_printf(&echo, "<%llu>", (unsigned long long)a->partial_offset);
	}
	sec->echo = buf_steal(&echo);
	buf_free(&text);
	/* BINARY[] adds the parts (parse_binary) */
	plan->fields |= STORE_MSG_FILE | (imap_fetch_section_whole(sec) ? 0 : STORE_MSG_PARTS);
	if (!peek)
		plan->set_seen = true;
	return 0;
}

/* RFC 3516 4.2: BINARY[.PEEK][section-binary]<partial>, BINARY.SIZE[section-binary]; a
 * section-binary is a part number or nothing (no HEADER, TEXT, MIME). */
static int
parse_binary(struct imap_fetch_plan *plan, const struct imap_arg *a, bool peek, bool size_only,
	     const char **error_r)
{
	struct imap_fetch_section *sec;

	if (size_only && (a->flags & IMAP_ARG_FLAG_PARTIAL)) {
		*error_r = "BINARY.SIZE takes no partial";
		return -1;
	}
	if (parse_section(plan, a, size_only ? "BINARY.SIZE" : "BINARY", peek || size_only,
			  error_r) < 0)
		return -1;
	sec = &plan->sections[plan->n_sections - 1];
	if (sec->spec.kind != MIME_SECTION_BODY) {
		mime_section_spec_free(&sec->spec);
		free(sec->echo);
		plan->n_sections--;
		*error_r = "Invalid BINARY section";
		return -1;
	}
	sec->binary = !size_only;
	sec->binary_size = size_only;
	plan->fields |= STORE_MSG_PARTS;
	return 0;
}

static int
parse_rfc822(struct imap_fetch_plan *plan, const char *name, const char **error_r)
{
	struct imap_fetch_section *sec = add_section(plan);
	const char *spec = "";

	if (str_casecmp(name, "RFC822.HEADER") == 0)
		spec = "HEADER";
	else if (str_casecmp(name, "RFC822.TEXT") == 0)
		spec = "TEXT";
	if (mime_section_parse(spec, strlen(spec), &sec->spec, error_r) < 0) {
		plan->n_sections--;
		return -1;
	}
	sec->echo = xstrdup(name);
	str_upper(sec->echo);
	/* RFC 3501 6.4.5: RFC822.HEADER is a PEEK, RFC822 and RFC822.TEXT set \Seen */
	sec->peek = *spec == 'H';
	plan->set_seen |= !sec->peek;
	plan->fields |= STORE_MSG_FILE | (imap_fetch_section_whole(sec) ? 0 : STORE_MSG_PARTS);
	return 0;
}

static int
parse_att(struct imap_fetch_plan *plan, const struct imap_arg *a, const char **error_r)
{
	const char *n = a->str;

	if (a->type != IMAP_ARG_ATOM) {
		*error_r = "Invalid FETCH item";
		return -1;
	}
	if (a->flags & IMAP_ARG_FLAG_SECTION) {
		if (str_casecmp(n, "BODY") == 0)
			return parse_section(plan, a, "BODY", false, error_r);
		if (str_casecmp(n, "BODY.PEEK") == 0)
			return parse_section(plan, a, "BODY", true, error_r);
		if (str_casecmp(n, "BINARY") == 0)
			return parse_binary(plan, a, false, false, error_r);
		if (str_casecmp(n, "BINARY.PEEK") == 0)
			return parse_binary(plan, a, true, false, error_r);
		if (str_casecmp(n, "BINARY.SIZE") == 0)
			return parse_binary(plan, a, true, true, error_r);
		*error_r = "Unknown FETCH item";
		return -1;
	}
	if (str_casecmp(n, "ALL") == 0 || str_casecmp(n, "FAST") == 0 ||
	    str_casecmp(n, "FULL") == 0) {
		/* RFC 3501 6.4.5 macros */
		plan->items |= IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_SIZE;
		if (str_casecmp(n, "FAST") != 0)
			plan->items |= IMAP_FETCH_ENVELOPE;
		if (str_casecmp(n, "FULL") == 0)
			plan->items |= IMAP_FETCH_BODY;
	} else if (str_casecmp(n, "FLAGS") == 0) {
		plan->items |= IMAP_FETCH_FLAGS;
	} else if (str_casecmp(n, "UID") == 0) {
		plan->items |= IMAP_FETCH_UID;
	} else if (str_casecmp(n, "INTERNALDATE") == 0) {
		plan->items |= IMAP_FETCH_INTERNALDATE;
	} else if (str_casecmp(n, "RFC822.SIZE") == 0) {
		plan->items |= IMAP_FETCH_SIZE;
	} else if (str_casecmp(n, "ENVELOPE") == 0) {
		plan->items |= IMAP_FETCH_ENVELOPE;
	} else if (str_casecmp(n, "BODY") == 0) {
		plan->items |= IMAP_FETCH_BODY;
	} else if (str_casecmp(n, "BODYSTRUCTURE") == 0) {
		plan->items |= IMAP_FETCH_BODYSTRUCTURE;
	} else if (str_casecmp(n, "MODSEQ") == 0) {
		plan->items |= IMAP_FETCH_MODSEQ;
	} else if (str_casecmp(n, "RFC822") == 0 || str_casecmp(n, "RFC822.HEADER") == 0 ||
		   str_casecmp(n, "RFC822.TEXT") == 0) {
		return parse_rfc822(plan, n, error_r);
	} else {
		*error_r = "Unknown FETCH item";
		return -1;
	}
	return 0;
}

/* (CHANGEDSINCE n [VANISHED]) */
static int
parse_modifiers(struct imap_fetch_plan *plan, const struct imap_arg *list, const char **error_r)
{
	unsigned long long v;
	const char *s;

	for (size_t i = 0; i < list->count; i++) {
		if (imap_arg_atom_equals(&list->list[i], "CHANGEDSINCE") && i + 1 < list->count &&
		    imap_arg_get_atom(&list->list[i + 1], &s) && str_to_u64(s, &v) == 0) {
			plan->changedsince = v;
			plan->has_changedsince = true;
			plan->items |= IMAP_FETCH_MODSEQ;
			i++;
		} else if (imap_arg_atom_equals(&list->list[i], "VANISHED")) {
			plan->vanished = true;
		} else {
			*error_r = "Invalid FETCH modifier";
			return -1;
		}
	}
	/* RFC 7162 3.2.6: VANISHED only with CHANGEDSINCE */
	if (plan->vanished && !plan->has_changedsince) {
		*error_r = "VANISHED needs CHANGEDSINCE";
		return -1;
	}
	return 0;
}

int
imap_fetch_parse(const struct imap_arg *args, size_t count, struct imap_fetch_plan *plan,
		 const char **error_r)
{
	const struct imap_arg *items = args;
	size_t n = 1;

	memset(plan, 0, sizeof(*plan));
	if (count < 1 || count > 2) {
		*error_r = "FETCH needs a message set and items";
		return -1;
	}
	if (args[0].type == IMAP_ARG_LIST) {
		items = args[0].list;
		n = args[0].count;
		if (n == 0) {
			*error_r = "Empty FETCH item list";
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (parse_att(plan, &items[i], error_r) < 0) {
			imap_fetch_plan_free(plan);
			return -1;
		}
	}
	if (count == 2 &&
	    (args[1].type != IMAP_ARG_LIST || parse_modifiers(plan, &args[1], error_r) < 0)) {
		if (args[1].type != IMAP_ARG_LIST)
			*error_r = "Invalid FETCH modifiers";
		imap_fetch_plan_free(plan);
		return -1;
	}
	if (plan->items & IMAP_FETCH_ENVELOPE)
		plan->fields |= STORE_MSG_ENVELOPE;
	if (plan->items & IMAP_FETCH_BODY)
		plan->fields |= STORE_MSG_BODY;
	if (plan->items & IMAP_FETCH_BODYSTRUCTURE)
		plan->fields |= STORE_MSG_BODYSTRUCTURE;
	return 0;
}
