/* The NOTIFY command's arguments (RFC 5465 8, formal syntax):
 *   notify-set = "SET" [SP "STATUS"] SP event-group *(SP event-group)
 *   event-group = "(" filter-mailboxes SP events ")"
 *   filter-mailboxes = "SELECTED" / "SELECTED-DELAYED" / "INBOXES" / "PERSONAL" /
 *                      "SUBSCRIBED" / ("SUBTREE" / "MAILBOXES") SP one-or-more-mailbox
 *   events = ("(" event *(SP event) ")") / "NONE"
 *   event = "MessageNew" [SP "(" fetch-att ... ")"] / "MessageExpunge" / "FlagChange" /
 *           "AnnotationChange" / "MailboxName" / "SubscriptionChange" /
 *           "MailboxMetadataChange" / "ServerMetadataChange" */
#include <stdlib.h>
#include <string.h>

#include "imap/imap_notify.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const struct {
	const char *name;
	enum imap_notify_filter filter;
	bool names;
} filters[] = {
	{"SELECTED", IMAP_NOTIFY_SELECTED, false},
	{"SELECTED-DELAYED", IMAP_NOTIFY_SELECTED_DELAYED, false},
	{"INBOXES", IMAP_NOTIFY_INBOXES, false},
	{"PERSONAL", IMAP_NOTIFY_PERSONAL, false},
	{"SUBSCRIBED", IMAP_NOTIFY_SUBSCRIBED, false},
	{"SUBTREE", IMAP_NOTIFY_SUBTREE, true},
	{"MAILBOXES", IMAP_NOTIFY_MAILBOXES, true},
};

static const struct {
	const char *name;
	unsigned bit; /* 0: known, not supported (RFC 5465 3.1: NO [BADEVENT]) */
} events[] = {
	{"MessageNew", IMAP_NOTIFY_MESSAGE_NEW},
	{"MessageExpunge", IMAP_NOTIFY_MESSAGE_EXPUNGE},
	{"FlagChange", IMAP_NOTIFY_FLAG_CHANGE},
	{"MailboxName", IMAP_NOTIFY_MAILBOX_NAME},
	{"SubscriptionChange", IMAP_NOTIFY_SUBSCRIPTION_CHANGE},
	{"AnnotationChange", 0},
	{"MailboxMetadataChange", 0},
	{"ServerMetadataChange", 0},
};

void
imap_notify_spec_free(struct imap_notify_spec *spec)
{
	for (size_t i = 0; i < spec->n_groups; i++) {
		for (size_t j = 0; j < spec->groups[i].n_names; j++)
			free(spec->groups[i].names[j]);
		free(spec->groups[i].names);
		if (spec->groups[i].fetch != NULL) {
			imap_fetch_plan_free(spec->groups[i].fetch);
			free(spec->groups[i].fetch);
		}
	}
	free(spec->groups);
	memset(spec, 0, sizeof(*spec));
}

static bool
add_name(struct imap_notify_group *g, const struct imap_arg *arg)
{
	const char *name;

	if (!imap_arg_get_astring(arg, &name))
		return false;
	g->names = xrealloc(g->names, (g->n_names + 1) * sizeof(*g->names));
	g->names[g->n_names++] = xstrdup(name);
	return true;
}

static bool
parse_names(struct imap_notify_group *g, const struct imap_arg *arg)
{
	if (arg->type != IMAP_ARG_LIST)
		return add_name(g, arg);
	if (arg->count == 0)
		return false;
	for (size_t i = 0; i < arg->count; i++) {
		if (!add_name(g, &arg->list[i]))
			return false;
	}
	return true;
}

static enum imap_notify_parse_result
parse_events(struct imap_notify_group *g, const struct imap_arg *arg, const char **error_r)
{
	if (imap_arg_atom_equals(arg, "NONE"))
		return IMAP_NOTIFY_PARSE_OK;
	if (arg->type != IMAP_ARG_LIST || arg->count == 0) {
		*error_r = "Expected a list of events or NONE";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	for (size_t i = 0; i < arg->count; i++) {
		const char *name;
		size_t k;

		if (!imap_arg_get_atom(&arg->list[i], &name)) {
			*error_r = "Invalid event";
			return IMAP_NOTIFY_PARSE_BAD;
		}
		for (k = 0; k < sizeof(events) / sizeof(events[0]); k++) {
			if (str_casecmp(name, events[k].name) == 0)
				break;
		}
		if (k == sizeof(events) / sizeof(events[0])) {
			*error_r = "Unknown event";
			return IMAP_NOTIFY_PARSE_BAD;
		}
		if (events[k].bit == 0) {
			*error_r = "Event not supported";
			return IMAP_NOTIFY_PARSE_BADEVENT;
		}
		g->events |= events[k].bit;
		/* RFC 5465 5.1: MessageNew may carry the fetch-att to send with new messages */
		if (events[k].bit == IMAP_NOTIFY_MESSAGE_NEW && i + 1 < arg->count &&
		    arg->list[i + 1].type == IMAP_ARG_LIST) {
			struct imap_fetch_plan plan;

			if (g->fetch != NULL || arg->list[i + 1].count == 0 ||
			    imap_fetch_parse(&arg->list[i + 1], 1, &plan, error_r) < 0) {
				if (g->fetch != NULL || arg->list[i + 1].count == 0)
					*error_r = "Invalid MessageNew fetch attributes";
				return IMAP_NOTIFY_PARSE_BAD;
			}
			/* no FETCH modifiers (CHANGEDSINCE, VANISHED) in a fetch-att */
			if (plan.has_changedsince || plan.vanished) {
				imap_fetch_plan_free(&plan);
				*error_r = "Invalid MessageNew fetch attributes";
				return IMAP_NOTIFY_PARSE_BAD;
			}
			g->fetch = xmalloc(sizeof(*g->fetch));
			*g->fetch = plan;
			i++;
		}
	}
	/* RFC 5465 5: message events are only for mailboxes; a LIST-kind event for the
	 * selected mailbox makes no sense (RFC 5465 6: SELECTED takes message events) */
	if ((g->filter == IMAP_NOTIFY_SELECTED || g->filter == IMAP_NOTIFY_SELECTED_DELAYED) &&
	    (g->events & (IMAP_NOTIFY_MAILBOX_NAME | IMAP_NOTIFY_SUBSCRIPTION_CHANGE)) != 0) {
		*error_r = "Mailbox events are not for the selected mailbox";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	return IMAP_NOTIFY_PARSE_OK;
}

static enum imap_notify_parse_result
parse_group(struct imap_notify_spec *spec, const struct imap_arg *arg, const char **error_r)
{
	struct imap_notify_group *g;
	const char *name;
	size_t k, next = 1;

	if (arg->type != IMAP_ARG_LIST || arg->count < 2 ||
	    !imap_arg_get_atom(&arg->list[0], &name)) {
		*error_r = "Expected an event group";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	for (k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
		if (str_casecmp(name, filters[k].name) == 0)
			break;
	}
	if (k == sizeof(filters) / sizeof(filters[0])) {
		*error_r = "Unknown mailbox filter";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	spec->groups = xrealloc(spec->groups, (spec->n_groups + 1) * sizeof(*spec->groups));
	g = &spec->groups[spec->n_groups++];
	memset(g, 0, sizeof(*g));
	g->filter = filters[k].filter;
	if (filters[k].names) {
		if (!parse_names(g, &arg->list[1])) {
			*error_r = "Invalid mailbox name";
			return IMAP_NOTIFY_PARSE_BAD;
		}
		next = 2;
	}
	if (arg->count != next + 1) {
		*error_r = "Expected the events of the group";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	return parse_events(g, &arg->list[next], error_r);
}

enum imap_notify_parse_result
imap_notify_parse(const struct imap_arg *args, size_t count, struct imap_notify_spec *spec,
		  const char **error_r)
{
	size_t i = 1;

	memset(spec, 0, sizeof(*spec));
	*error_r = "NOTIFY needs SET or NONE";
	if (count == 1 && imap_arg_atom_equals(&args[0], "NONE")) {
		spec->none = true;
		return IMAP_NOTIFY_PARSE_OK;
	}
	if (count < 2 || !imap_arg_atom_equals(&args[0], "SET"))
		return IMAP_NOTIFY_PARSE_BAD;
	if (imap_arg_atom_equals(&args[1], "STATUS")) {
		spec->status = true;
		i = 2;
	}
	if (i == count) {
		*error_r = "NOTIFY SET needs an event group";
		return IMAP_NOTIFY_PARSE_BAD;
	}
	for (; i < count; i++) {
		enum imap_notify_parse_result r = parse_group(spec, &args[i], error_r);

		if (r != IMAP_NOTIFY_PARSE_OK)
			return r;
	}
	/* RFC 5465 6: SELECTED and SELECTED-DELAYED exclude each other */
	for (size_t a = 0, sel = 0; a < spec->n_groups; a++) {
		if (spec->groups[a].filter <= IMAP_NOTIFY_SELECTED_DELAYED && ++sel > 1) {
			*error_r = "SELECTED given more than once";
			return IMAP_NOTIFY_PARSE_BAD;
		}
	}
	return IMAP_NOTIFY_PARSE_OK;
}
