/* NOTIFY (RFC 5465) in a session: the command, the matching of store events against the
 * client's event groups, and a bounded queue of pending notifications written whenever the
 * output is between responses (RFC 5465 3: "at any time"), or before the next tagged reply.
 * A client that falls behind (queue over imap_notify_queue_max) gets
 * "* OK [NOTIFICATIONOVERFLOW]" and no more notifications (RFC 5465 5.8). */
#include <stdlib.h>
#include <string.h>

#include "conf/settings.h"
#include "imap/imap_notify.h"
#include "imap/imap_session.h"
#include "net/conn.h"
#include "store/store_mailbox.h"
#include "store/store_notify.h"
#include "store/store_view.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct imap_notify_status {
	char *name;
	unsigned events;
};

struct imap_notify {
	struct imap_notify_spec spec; /* names decoded to UTF-8 */
	struct buf lines;             /* pending LIST responses, whole lines */
	size_t n_lines;
	struct imap_notify_status *status; /* pending STATUS, one per mailbox */
	size_t n_status;
	bool overflow; /* NOTIFICATIONOVERFLOW to send; notifications are off */
};

#define MESSAGE_EVENTS                                                                             \
	(IMAP_NOTIFY_MESSAGE_NEW | IMAP_NOTIFY_MESSAGE_EXPUNGE | IMAP_NOTIFY_FLAG_CHANGE)

static void
clear_pending(struct imap_notify *n)
{
	for (size_t i = 0; i < n->n_status; i++)
		free(n->status[i].name);
	free(n->status);
	n->status = NULL;
	n->n_status = 0;
	buf_free(&n->lines);
	n->n_lines = 0;
}

void
imap_notify_free(struct imap_session *s)
{
	struct imap_notify *n = s->notify_state;

	if (n == NULL)
		return;
	clear_pending(n);
	imap_notify_spec_free(&n->spec);
	free(n);
	s->notify_state = NULL;
}

static bool
is_subscribed(struct imap_session *s, const char *name)
{
	struct store_mailbox_info *list;
	size_t count;
	const char *error;
	bool found = false;

	if (store_mailbox_list(s->acct, &list, &count, &error) < 0)
		return false;
	for (size_t i = 0; i < count && !found; i++)
		found = strcmp(list[i].name, name) == 0 &&
			(list[i].attrs & STORE_MAILBOX_SUBSCRIBED) != 0;
	store_mailbox_list_free(&list, count);
	return found;
}

static bool
group_matches(struct imap_session *s, const struct imap_notify_group *g, const char *name)
{
	switch (g->filter) {
	case IMAP_NOTIFY_SELECTED:
	case IMAP_NOTIFY_SELECTED_DELAYED:
		return false;
	case IMAP_NOTIFY_INBOXES:
		/* RFC 5465 6: mailboxes new mail is delivered to: here only INBOX */
		return strcmp(name, "INBOX") == 0;
	case IMAP_NOTIFY_PERSONAL:
		return true;
	case IMAP_NOTIFY_SUBSCRIBED:
		return is_subscribed(s, name);
	case IMAP_NOTIFY_SUBTREE:
		for (size_t i = 0; i < g->n_names; i++) {
			size_t len = strlen(g->names[i]);

			if (strncmp(name, g->names[i], len) == 0 &&
			    (name[len] == '\0' || name[len] == '/'))
				return true;
		}
		return false;
	case IMAP_NOTIFY_MAILBOXES:
		for (size_t i = 0; i < g->n_names; i++) {
			if (strcmp(name, g->names[i]) == 0)
				return true;
		}
		return false;
	}
	return false;
}

/* RFC 5465 6: a mailbox that more than one filter names takes the events of the most
 * specific one: MAILBOXES, then SUBTREE, INBOXES, SUBSCRIBED, PERSONAL. */
static const struct imap_notify_group *
match(struct imap_session *s, const char *name)
{
	static const enum imap_notify_filter order[] = {
		IMAP_NOTIFY_MAILBOXES,  IMAP_NOTIFY_SUBTREE,  IMAP_NOTIFY_INBOXES,
		IMAP_NOTIFY_SUBSCRIBED, IMAP_NOTIFY_PERSONAL,
	};
	const struct imap_notify_spec *spec = &s->notify_state->spec;

	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		for (size_t i = 0; i < spec->n_groups; i++) {
			if (spec->groups[i].filter == order[o] &&
			    group_matches(s, &spec->groups[i], name))
				return &spec->groups[i];
		}
	}
	return NULL;
}

static const struct imap_notify_group *
selected_group(const struct imap_session *s)
{
	const struct imap_notify *n = s->notify_state;

	if (n == NULL)
		return NULL;
	for (size_t i = 0; i < n->spec.n_groups; i++) {
		if (n->spec.groups[i].filter == IMAP_NOTIFY_SELECTED ||
		    n->spec.groups[i].filter == IMAP_NOTIFY_SELECTED_DELAYED)
			return &n->spec.groups[i];
	}
	return NULL;
}

bool
imap_notify_selected_now(const struct imap_session *s)
{
	const struct imap_notify_group *g = selected_group(s);

	return g != NULL && (g->events & MESSAGE_EVENTS) != 0;
}

void
imap_notify_new_messages(struct imap_session *s, size_t old_count, size_t new_count)
{
	const struct imap_notify_group *g = selected_group(s);
	const struct store_view_msg *msgs;
	uint32_t *uids;

	if (g == NULL || g->fetch == NULL || (g->events & IMAP_NOTIFY_MESSAGE_NEW) == 0 ||
	    s->notify_state->spec.none || s->view == NULL || new_count <= old_count ||
	    new_count > store_view_count(s->view))
		return;
	msgs = store_view_msgs(s->view);
	uids = xmalloc((new_count - old_count) * sizeof(*uids));
	for (size_t i = old_count; i < new_count; i++)
		uids[i - old_count] = msgs[i].uid;
	imap_fetch_unsolicited(s, g->fetch, uids, new_count - old_count);
	free(uids);
}

/* "* STATUS name (...)" with the items the events call for (RFC 5465 5.2-5.4):
 * MessageNew MESSAGES UIDNEXT UIDVALIDITY, MessageExpunge MESSAGES, FlagChange UIDVALIDITY
 * HIGHESTMODSEQ. Nothing when the mailbox is gone. */
static void
write_status(struct imap_session *s, struct buf *out, const char *name, unsigned events)
{
	struct store_status st;
	const char *error, *sep = "";

	if ((events & MESSAGE_EVENTS) == 0 || store_mailbox_status(s->acct, name, &st, &error) < 0)
		return;
	buf_appends(out, "* STATUS ");
	imap_mailbox_write(s, out, name);
	buf_appends(out, " (");
	if ((events & (IMAP_NOTIFY_MESSAGE_NEW | IMAP_NOTIFY_MESSAGE_EXPUNGE)) != 0) {
		buf_printf(out, "MESSAGES %u", st.messages);
		sep = " ";
	}
	if ((events & IMAP_NOTIFY_MESSAGE_NEW) != 0) {
		buf_printf(out, "%sUIDNEXT %u", sep, st.uidnext);
		sep = " ";
	}
	if ((events & (IMAP_NOTIFY_MESSAGE_NEW | IMAP_NOTIFY_FLAG_CHANGE)) != 0) {
		buf_printf(out, "%sUIDVALIDITY %u", sep, st.uidvalidity);
		sep = " ";
	}
	if ((events & IMAP_NOTIFY_FLAG_CHANGE) != 0)
		buf_printf(out, "%sHIGHESTMODSEQ %llu", sep, (unsigned long long)st.highestmodseq);
	buf_appends(out, ")\r\n");
}

/* Between responses, nothing half written, no command running. */
static bool
can_send_now(const struct imap_session *s)
{
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	return s->base.conn != NULL && !s->processing && !s->in_command && s->fetch == NULL &&
	       s->slice == NULL && (s->wait == IMAP_WAIT_NONE || s->wait == IMAP_WAIT_IDLE) &&
	       conn_output_len(s->base.conn) <= deps->settings->imap_notify_output_max;
}

void
imap_notify_flush(struct imap_session *s)
{
	struct imap_notify *n = s->notify_state;
	struct buf out = BUF_INIT;

	if (n == NULL || s->base.conn == NULL)
		return;
	if (n->overflow) {
		n->overflow = false;
		imap_send(s, "* OK [NOTIFICATIONOVERFLOW] Too many notifications, NOTIFY is off");
		return;
	}
	if (n->n_lines == 0 && n->n_status == 0)
		return;
	if (n->lines.len > 0)
		buf_append(&out, n->lines.data, n->lines.len);
	for (size_t i = 0; i < n->n_status; i++)
		write_status(s, &out, n->status[i].name, n->status[i].events);
	clear_pending(n);
	if (out.len > 0)
		imap_send_raw(s, out.data, out.len);
	buf_free(&out);
}

void
imap_notify_kick(struct imap_session *s)
{
	if (s->notify_state != NULL && can_send_now(s))
		imap_notify_flush(s);
}

/* Counts one more pending notification; past the bound, the overflow (RFC 5465 5.8). */
static bool
room(struct imap_session *s)
{
	struct imap_notify *n = s->notify_state;
	const struct imap_server_deps *deps = imap_server_deps(s->server);

	if (n->n_lines + n->n_status < deps->settings->imap_notify_queue_max)
		return true;
	clear_pending(n);
	imap_notify_spec_free(&n->spec);
	n->spec.none = true;
	n->overflow = true;
	return false;
}

static void
queue_status(struct imap_session *s, const char *name, unsigned events)
{
	struct imap_notify *n = s->notify_state;

	for (size_t i = 0; i < n->n_status; i++) {
		if (strcmp(n->status[i].name, name) == 0) {
			n->status[i].events |= events;
			return;
		}
	}
	if (!room(s))
		return;
	n->status = xrealloc(n->status, (n->n_status + 1) * sizeof(*n->status));
	n->status[n->n_status].name = xstrdup(name);
	n->status[n->n_status++].events = events;
}

/* RFC 5465 5.4, 5.5: a LIST response for a created, deleted or renamed mailbox (with the
 * RFC 5258 OLDNAME extended data) or a (un)subscribed name. */
static void
queue_list(struct imap_session *s, const char *attrs, const char *name, const char *old)
{
	struct imap_notify *n = s->notify_state;

	if (!room(s))
		return;
	buf_printf(&n->lines, "* LIST (%s) \"/\" ", attrs);
	imap_mailbox_write(s, &n->lines, name);
	if (old != NULL) {
		buf_appends(&n->lines, " (\"OLDNAME\" (");
		imap_mailbox_write(s, &n->lines, old);
		buf_appends(&n->lines, "))");
	}
	buf_appends(&n->lines, "\r\n");
	n->n_lines++;
}

static void
mailbox_event(struct imap_session *s, const struct store_event *ev)
{
	const struct imap_notify_group *g = match(s, ev->mailbox);
	struct store_status st;
	const char *error;

	if ((g == NULL || (g->events & IMAP_NOTIFY_MAILBOX_NAME) == 0) && ev->old_mailbox != NULL)
		g = match(s, ev->old_mailbox);
	if (g == NULL || (g->events & IMAP_NOTIFY_MAILBOX_NAME) == 0)
		return;
	if (store_mailbox_status(s->acct, ev->mailbox, &st, &error) < 0)
		queue_list(s, "\\NonExistent", ev->mailbox, NULL);
	else
		queue_list(s, "", ev->mailbox, ev->old_mailbox);
}

/* The selected mailbox under a SELECTED group: the usual responses, now (RFC 5465 5.1:
 * SELECTED-DELAYED keeps EXPUNGE for a command that allows it). */
static bool
selected_event(struct imap_session *s, unsigned bit)
{
	const struct imap_notify_group *g = selected_group(s);

	if (g == NULL || (g->events & bit) == 0)
		return false;
	s->notified = true;
	if (s->base.conn != NULL && s->wait == IMAP_WAIT_IDLE) {
		imap_sync(s, true); /* RFC 2177: IDLE allows EXPUNGE anyway */
		imap_notify_flush(s);
	} else if (can_send_now(s)) {
		imap_sync(s, g->filter == IMAP_NOTIFY_SELECTED);
		imap_notify_flush(s);
	}
	return true;
}

bool
imap_notify_event(struct imap_session *s, const struct store_event *ev)
{
	struct imap_notify *n = s->notify_state;
	const struct imap_notify_group *g;
	unsigned bit = 0;

	if (n == NULL || n->spec.none)
		return false;
	switch (ev->type) {
	case STORE_EVENT_NEW:
		bit = IMAP_NOTIFY_MESSAGE_NEW;
		break;
	case STORE_EVENT_EXPUNGE:
		bit = IMAP_NOTIFY_MESSAGE_EXPUNGE;
		break;
	case STORE_EVENT_FLAGS:
		bit = IMAP_NOTIFY_FLAG_CHANGE;
		break;
	case STORE_EVENT_MAILBOX:
		mailbox_event(s, ev);
		break;
	case STORE_EVENT_SUBSCRIPTION:
		g = match(s, ev->mailbox);
		if (g != NULL && (g->events & IMAP_NOTIFY_SUBSCRIPTION_CHANGE) != 0)
			queue_list(s, is_subscribed(s, ev->mailbox) ? "\\Subscribed" : "",
				   ev->mailbox, NULL);
		break;
	}
	if (bit != 0) {
		if (s->view != NULL && ev->mailbox_id == store_view_mailbox_id(s->view))
			return selected_event(s, bit);
		g = match(s, ev->mailbox);
		if (g != NULL && (g->events & bit) != 0)
			queue_status(s, ev->mailbox, bit);
	}
	if (can_send_now(s))
		imap_notify_flush(s);
	return false;
}

/* Mailbox names of the groups as sent -> UTF-8, normalized. */
static bool
decode_names(struct imap_session *s, const char *tag, struct imap_notify_spec *spec)
{
	for (size_t i = 0; i < spec->n_groups; i++) {
		struct imap_notify_group *g = &spec->groups[i];

		for (size_t j = 0; j < g->n_names; j++) {
			struct imap_arg arg = {.type = IMAP_ARG_QUOTED,
					       .str = g->names[j],
					       .len = strlen(g->names[j])};
			char *name = imap_mailbox_arg(s, tag, &arg);

			if (name == NULL)
				return false;
			free(g->names[j]);
			g->names[j] = name;
		}
	}
	return true;
}

/* RFC 5465 3.1 STATUS indicator: a STATUS of each mailbox a group names, now. */
static void
initial_status(struct imap_session *s)
{
	struct store_mailbox_info *list;
	struct buf out = BUF_INIT;
	size_t count;
	const char *error;

	if (store_mailbox_list(s->acct, &list, &count, &error) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		const struct imap_notify_group *g;

		if ((list[i].attrs & (STORE_MAILBOX_NOSELECT | STORE_MAILBOX_NONEXISTENT)) != 0)
			continue;
		if (s->view != NULL && strcmp(store_view_mailbox_name(s->view), list[i].name) == 0)
			continue;
		if ((g = match(s, list[i].name)) != NULL)
			write_status(s, &out, list[i].name, g->events);
	}
	store_mailbox_list_free(&list, count);
	if (out.len > 0)
		imap_send_raw(s, out.data, out.len);
	buf_free(&out);
}

void
imap_cmd_notify(struct imap_session *s, const struct imap_command *cmd)
{
	struct imap_notify_spec spec;
	const char *error;

	switch (imap_notify_parse(cmd->args, cmd->count, &spec, &error)) {
	case IMAP_NOTIFY_PARSE_OK:
		break;
	case IMAP_NOTIFY_PARSE_BADEVENT:
		imap_notify_spec_free(&spec);
		/* RFC 5465 3.1: the response code lists the events supported */
		imap_no(s, cmd->tag,
			"[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "
			"SubscriptionChange)] %s",
			error);
		return;
	default:
		imap_notify_spec_free(&spec);
		imap_bad(s, cmd->tag, "%s", error);
		return;
	}
	if (!decode_names(s, cmd->tag, &spec)) {
		imap_notify_spec_free(&spec);
		return;
	}
	imap_notify_free(s);
	for (size_t i = 0; i < spec.n_groups; i++) {
		/* RFC 7162 3.1: a MODSEQ fetch-att switches CONDSTORE on, as in FETCH */
		if (spec.groups[i].fetch != NULL &&
		    (spec.groups[i].fetch->items & IMAP_FETCH_MODSEQ))
			imap_condstore_enable(s);
	}
	if (!spec.none) {
		s->notify_state = xcalloc(1, sizeof(*s->notify_state));
		s->notify_state->spec = spec;
		if (spec.status)
			initial_status(s);
	}
	imap_ok(s, cmd->tag, "NOTIFY completed");
}
