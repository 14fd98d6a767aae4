/* NOTIFY (RFC 5465): the client names mailboxes and events; the server tells it of those
 * events as they happen, also outside IDLE (RFC 5465 3): STATUS for mailboxes other than
 * the selected one, LIST for mailbox names and subscriptions, and the usual EXISTS /
 * EXPUNGE / FETCH for the selected one. Built on the store's notify bus (store_notify.h).
 *
 * The parser (imap_notify_parse) is pure and fuzzed (tests/fuzz/fuzz_imap_notify.c). */
#ifndef IMAP_IMAP_NOTIFY_H
#define IMAP_IMAP_NOTIFY_H
#include <stdbool.h>
#include <stddef.h>

#include "imap/imap_fetch.h"
#include "imap/imap_parser.h"

struct imap_session;
struct store_event;

/* RFC 5465 6: filter-mailboxes. */
enum imap_notify_filter {
	IMAP_NOTIFY_SELECTED,
	IMAP_NOTIFY_SELECTED_DELAYED,
	IMAP_NOTIFY_INBOXES,
	IMAP_NOTIFY_PERSONAL,
	IMAP_NOTIFY_SUBSCRIBED,
	IMAP_NOTIFY_SUBTREE,
	IMAP_NOTIFY_MAILBOXES,
};

/* RFC 5465 5: the events supported. AnnotationChange and the METADATA events are refused
 * with NO [BADEVENT] (RFC 5465 3.1). */
enum imap_notify_event {
	IMAP_NOTIFY_MESSAGE_NEW = 1 << 0,
	IMAP_NOTIFY_MESSAGE_EXPUNGE = 1 << 1,
	IMAP_NOTIFY_FLAG_CHANGE = 1 << 2,
	IMAP_NOTIFY_MAILBOX_NAME = 1 << 3,
	IMAP_NOTIFY_SUBSCRIPTION_CHANGE = 1 << 4,
};

struct imap_notify_group {
	enum imap_notify_filter filter;
	unsigned events; /* enum imap_notify_event bits; 0 for NONE */
	char **names;    /* SUBTREE / MAILBOXES: the names as sent (malloc'ed) */
	size_t n_names;
	/* MessageNew's fetch-att (RFC 5465 5.1), NULL if none: the FETCH sent after the
	 * EXISTS of new messages of the selected mailbox */
	struct imap_fetch_plan *fetch;
};

struct imap_notify_spec {
	bool none;   /* NOTIFY NONE */
	bool status; /* NOTIFY SET STATUS: initial STATUS of the mailboxes (RFC 5465 3.1) */
	struct imap_notify_group *groups;
	size_t n_groups;
};

enum imap_notify_parse_result {
	IMAP_NOTIFY_PARSE_OK,
	IMAP_NOTIFY_PARSE_BAD,      /* syntax: tagged BAD */
	IMAP_NOTIFY_PARSE_BADEVENT, /* a known but unsupported event: NO [BADEVENT] */
};

/* Parses the arguments of NOTIFY (after the command name) into *spec (zeroed first; free
 * it with imap_notify_spec_free, also on failure). *error_r says why when not OK. */
enum imap_notify_parse_result imap_notify_parse(const struct imap_arg *args, size_t count,
						struct imap_notify_spec *spec,
						const char **error_r);
void imap_notify_spec_free(struct imap_notify_spec *spec);

/* Session side (imap_notify.c). */
void imap_cmd_notify(struct imap_session *s, const struct imap_command *cmd);
/* A store event of the session's account (called from the notify bus callback). */
/* true: it was an event of the selected mailbox that NOTIFY handled (nothing else to do). */
bool imap_notify_event(struct imap_session *s, const struct store_event *ev);
/* Writes the queued notifications when the output is at a line boundary between
 * responses (called before tagged replies, on drain and by the event itself). */
void imap_notify_flush(struct imap_session *s);
/* The same, only if the session is between responses with room in its output. */
void imap_notify_kick(struct imap_session *s);
/* RFC 5465 5.1: after "* n EXISTS" for the new messages old_count+1..new_count of the
 * selected mailbox, their FETCH with the SELECTED group's MessageNew fetch-att, if any
 * (called by imap_sync). */
void imap_notify_new_messages(struct imap_session *s, size_t old_count, size_t new_count);
/* Whether NOTIFY asks for immediate events of the selected mailbox (SELECTED group). */
bool imap_notify_selected_now(const struct imap_session *s);
void imap_notify_free(struct imap_session *s);

#endif
