/* LIST and LSUB (RFC 3501 6.3.8-9) with LIST-EXTENDED (RFC 5258: selection and return
 * options, several patterns), LIST-STATUS (RFC 5819), CHILDREN (RFC 3348) and SPECIAL-USE
 * (RFC 6154) attributes. Names are matched in UTF-8 (imap_list_match.h); "*" matches
 * anything, "%" anything but the hierarchy delimiter "/". */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_list_match.h"
#include "imap/imap_mutf7.h"
#include "imap/imap_session.h"
#include "imap/imap_write.h"
#include "store/store_mailbox.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define LIST_MAX_PATTERNS 32

struct list_opts {
	bool lsub;
	bool sel_subscribed;  /* SUBSCRIBED selection */
	bool sel_special_use; /* RFC 6154 SPECIAL-USE selection */
	bool recursive;       /* RECURSIVEMATCH */
	bool ret_subscribed;
	bool ret_children;
	const struct imap_arg *status_items; /* RFC 5819 RETURN (STATUS (...)) */
	char *patterns[LIST_MAX_PATTERNS];
	size_t n_patterns;
};

/* reference + pattern, decoded (modified UTF-7, or UTF-8 under IMAP4rev2), INBOX
 * upper-cased. */
static char *
list_full_pattern(const struct imap_session *s, const char *ref, const char *pat)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	const char *error;

	if (pat[0] != '/')
		buf_appends(&raw, ref);
	buf_appends(&raw, pat);
	if (imap_mailbox_decode(s, buf_cstr(&raw), &out, &error) < 0)
		buf_appends(&out, buf_cstr(&raw));
	buf_free(&raw);
	if (str_ncasecmp(buf_cstr(&out), "INBOX", 5) == 0 &&
	    (out.data[5] == '\0' || out.data[5] == '/'))
		memcpy(out.data, "INBOX", 5);
	return buf_steal(&out);
}

static int
list_parse_selection(const struct imap_arg *list, struct list_opts *o)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct imap_arg *a = &list->list[i];

		if (imap_arg_atom_equals(a, "SUBSCRIBED"))
			o->sel_subscribed = o->ret_subscribed = true;
		else if (imap_arg_atom_equals(a, "REMOTE"))
			;
		else if (imap_arg_atom_equals(a, "RECURSIVEMATCH"))
			o->recursive = true;
		else if (imap_arg_atom_equals(a, "SPECIAL-USE"))
			o->sel_special_use = true;
		else
			return -1;
	}
	/* RFC 5258 3.1: RECURSIVEMATCH needs another selection option */
	return o->recursive && !o->sel_subscribed && !o->sel_special_use ? -1 : 0;
}

static int
list_parse_return(const struct imap_arg *list, struct list_opts *o)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct imap_arg *a = &list->list[i];

		if (imap_arg_atom_equals(a, "SUBSCRIBED"))
			o->ret_subscribed = true;
		else if (imap_arg_atom_equals(a, "CHILDREN"))
			o->ret_children = true;
		else if (imap_arg_atom_equals(a, "SPECIAL-USE"))
			;
		else if (imap_arg_atom_equals(a, "STATUS") && i + 1 < list->count &&
			 list->list[i + 1].type == IMAP_ARG_LIST)
			o->status_items = &list->list[++i];
		else
			return -1;
	}
	return 0;
}

static int
list_add_patterns(const struct imap_session *s, const char *ref, const struct imap_arg *a,
		  struct list_opts *o)
{
	const struct imap_arg *pats = a;
	size_t n = 1;
	const char *p;

	if (a->type == IMAP_ARG_LIST) {
		pats = a->list;
		n = a->count;
	}
	if (n == 0 || n > LIST_MAX_PATTERNS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!imap_arg_get_astring(&pats[i], &p))
			return -1;
		o->patterns[o->n_patterns++] = list_full_pattern(s, ref, p);
	}
	return 0;
}

/* LIST [(sel)] ref pattern(s) [RETURN (ret)] / LSUB ref pattern */
static int
list_parse(const struct imap_session *s, const struct imap_command *cmd, struct list_opts *o)
{
	const struct imap_arg *args = cmd->args;
	size_t n = cmd->count;
	const char *ref;

	if (!o->lsub && n > 0 && args[0].type == IMAP_ARG_LIST) {
		if (list_parse_selection(&args[0], o) < 0)
			return -1;
		args++;
		n--;
	}
	if (n < 2 || !imap_arg_get_astring(&args[0], &ref))
		return -1;
	if (list_add_patterns(s, ref, &args[1], o) < 0)
		return -1;
	if (n == 2)
		return 0;
	if (o->lsub || n != 4 || !imap_arg_atom_equals(&args[2], "RETURN") ||
	    args[3].type != IMAP_ARG_LIST)
		return -1;
	return list_parse_return(&args[3], o);
}

static bool
list_matches_any(const struct list_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_patterns; i++) {
		if (imap_list_match(o->patterns[i], name, '/'))
			return true;
	}
	return false;
}

static void
list_write_attrs(struct buf *b, const struct list_opts *o, unsigned attrs)
{
	const char *use = store_mailbox_special_use_name(attrs & STORE_MAILBOX_SPECIAL_USE_MASK);
	size_t start = b->len;

	buf_appendc(b, '(');
	if (attrs & STORE_MAILBOX_NONEXISTENT)
		buf_appends(b, o->lsub ? "\\Noselect " : "\\NonExistent ");
	else if (attrs & STORE_MAILBOX_NOSELECT)
		buf_appends(b, "\\Noselect ");
	if (!(attrs & STORE_MAILBOX_NONEXISTENT))
		buf_appends(b, attrs & STORE_MAILBOX_HAS_CHILDREN ? "\\HasChildren "
								  : "\\HasNoChildren ");
	if (o->ret_subscribed && (attrs & STORE_MAILBOX_SUBSCRIBED) && !o->lsub)
		buf_appends(b, "\\Subscribed ");
	if (use != NULL) {
		buf_appends(b, use);
		buf_appendc(b, ' ');
	}
	if (b->len > start + 1)
		buf_truncate(b, b->len - 1);
	buf_appendc(b, ')');
}

static void
list_one(struct imap_session *s, const struct list_opts *o, const struct store_mailbox_info *mb,
	 bool childinfo, struct buf *b)
{
	struct store_status st;
	const char *error;

	buf_appends(b, o->lsub ? "* LSUB " : "* LIST ");
	list_write_attrs(b, o, mb->attrs);
	buf_appends(b, " \"/\" ");
	imap_mailbox_write(s, b, mb->name);
	/* RFC 5258 3.5: a parent listed for its subscribed children */
	if (childinfo)
		buf_appends(b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buf_appends(b, "\r\n");
	if (o->status_items == NULL ||
	    (mb->attrs & (STORE_MAILBOX_NOSELECT | STORE_MAILBOX_NONEXISTENT)) ||
	    store_mailbox_status(s->acct, mb->name, &st, &error) < 0)
		return;
	/* RFC 5819 2: the STATUS response follows its LIST response */
	buf_appends(b, "* STATUS ");
	imap_mailbox_write(s, b, mb->name);
	buf_appendc(b, ' ');
	if (imap_status_items(b, o->status_items, &st) < 0)
		buf_appends(b, "()");
	buf_appends(b, "\r\n");
}

/* The selection criteria without the patterns. */
static bool
list_meets_criteria(const struct list_opts *o, const struct store_mailbox_info *mb)
{
	if (o->lsub || o->sel_subscribed) {
		if (!(mb->attrs & STORE_MAILBOX_SUBSCRIBED))
			return false;
	} else if (mb->attrs & STORE_MAILBOX_NONEXISTENT) {
		return false; /* only subscribed, never created */
	}
	return !o->sel_special_use || (mb->attrs & STORE_MAILBOX_SPECIAL_USE_MASK);
}

static bool
list_selected(const struct list_opts *o, const struct store_mailbox_info *mb)
{
	return list_meets_criteria(o, mb) && list_matches_any(o, mb->name);
}

static bool
list_is_descendant(const char *parent, const char *name)
{
	size_t n = strlen(parent);

	return strncmp(parent, name, n) == 0 && name[n] == '/';
}

/* RFC 5258 3.5 RECURSIVEMATCH, RFC 3501 6.3.9 LSUB: a name matching the patterns that does
 * not meet the selection criteria itself is still listed when one of its descendants
 * meets them without being listed itself (as Dovecot does: "LSUB "" %" shows the parent
 * "foo" of a subscribed "foo/bar", as \Noselect). */
static bool
list_parent_wanted(const struct list_opts *o, const char *name,
		   const struct store_mailbox_info *list, size_t n)
{
	if (!(o->recursive && o->sel_subscribed) && !o->lsub)
		return false;
	if (!list_matches_any(o, name))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (list_is_descendant(name, list[i].name) && list_meets_criteria(o, &list[i]) &&
		    !list_matches_any(o, list[i].name))
			return true;
	}
	return false;
}

static bool
list_has_name(const struct store_mailbox_info *list, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(list[i].name) == len && strncmp(list[i].name, name, len) == 0)
			return true;
	}
	return false;
}

/* Ancestors of names meeting the criteria that are not mailboxes themselves ("a" and
 * "a/b" of a subscribed "a/b/c" when they do not exist). */
static void
list_missing_parents(const struct list_opts *o, const struct store_mailbox_info *list, size_t n,
		     struct store_mailbox_info **extra_r, size_t *n_extra_r)
{
	struct store_mailbox_info *extra = NULL;
	size_t n_extra = 0, cap = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = list[i].name;

		if (!list_meets_criteria(o, &list[i]))
			continue;
		for (const char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
			size_t len = (size_t)(p - name);

			if (list_has_name(list, n, name, len) ||
			    list_has_name(extra, n_extra, name, len))
				continue;
			if (n_extra == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				extra = xrealloc(extra, cap * sizeof(*extra));
			}
			extra[n_extra].name = xstrndup(name, len);
			extra[n_extra++].attrs =
				(o->lsub ? STORE_MAILBOX_NOSELECT : STORE_MAILBOX_NONEXISTENT) |
				STORE_MAILBOX_HAS_CHILDREN;
		}
	}
	*extra_r = extra;
	*n_extra_r = n_extra;
}

static void
list_entries(struct imap_session *s, const struct list_opts *o,
	     const struct store_mailbox_info *list, size_t n, struct buf *b)
{
	struct store_mailbox_info *extra;
	size_t n_extra;

	for (size_t i = 0; i < n; i++) {
		struct store_mailbox_info parent = list[i];

		if (list_selected(o, &list[i])) {
			list_one(s, o, &list[i], false, b);
		} else if (list_parent_wanted(o, list[i].name, list, n)) {
			if (o->lsub)
				parent.attrs |= STORE_MAILBOX_NOSELECT;
			list_one(s, o, &parent, !o->lsub, b);
		}
	}
	if (!(o->recursive && o->sel_subscribed) && !o->lsub)
		return;
	list_missing_parents(o, list, n, &extra, &n_extra);
	for (size_t i = 0; i < n_extra; i++) {
		if (list_parent_wanted(o, extra[i].name, list, n))
			list_one(s, o, &extra[i], !o->lsub, b);
	}
	store_mailbox_list_free(&extra, n_extra);
}

static void
list_run(struct imap_session *s, const struct imap_command *cmd, struct list_opts *o)
{
	struct store_mailbox_info *list;
	struct buf b = BUF_INIT;
	const char *error;
	size_t n;

	/* RFC 3501 6.3.8: an empty pattern asks for the delimiter */
	if (o->n_patterns == 1 && o->patterns[0][0] == '\0') {
		imap_send(s, "* %s (\\Noselect) \"/\" \"\"", o->lsub ? "LSUB" : "LIST");
		imap_ok(s, cmd->tag, "%s completed", cmd->name);
		return;
	}
	if (store_mailbox_list(s->acct, &list, &n, &error) < 0) {
		imap_no_store(s, cmd->tag, cmd->name, error);
		return;
	}
	list_entries(s, o, list, n, &b);
	store_mailbox_list_free(&list, n);
	imap_send_raw(s, b.data, b.len);
	buf_free(&b);
	imap_ok(s, cmd->tag, "%s completed", cmd->name);
}

static void
imap_list_cmd(struct imap_session *s, const struct imap_command *cmd, bool lsub)
{
	struct list_opts o;

	memset(&o, 0, sizeof(o));
	o.lsub = lsub;
	if (list_parse(s, cmd, &o) < 0)
		imap_bad(s, cmd->tag, "Invalid %s arguments", cmd->name);
	else
		list_run(s, cmd, &o);
	for (size_t i = 0; i < o.n_patterns; i++)
		free(o.patterns[i]);
}

void
imap_cmd_list(struct imap_session *s, const struct imap_command *cmd)
{
	imap_list_cmd(s, cmd, false);
}

void
imap_cmd_lsub(struct imap_session *s, const struct imap_command *cmd)
{
	imap_list_cmd(s, cmd, true);
}
