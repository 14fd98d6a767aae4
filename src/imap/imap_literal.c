/* IMAP literal limits and the server-wide count of literal bytes (see imap_literal.h). */
#include "imap/imap_literal.h"

#include "conf/settings.h"
#include "imap/imap_session.h"
#include "log/log.h"

void
imap_literal_set_limits(struct imap_session *s)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	struct imap_parser_limits lim = imap_parser_default_limits;

	if (s->base.state == IMAP_STATE_NOT_AUTH) {
		/* whatever the command name (APPEND is refused later anyway) */
		lim.max_literal = lim.max_append = lim.max_literals_total =
			set->imap_preauth_literal_limit;
		lim.nonsync_toobig_fatal = true;
	} else {
		lim.max_literals_total = set->imap_command_literal_limit;
		/* RFC 7889: APPEND literals up to the APPENDLIMIT, refused before they are sent */
		lim.max_append = set->message_size_limit;
		if (lim.max_literal > lim.max_literals_total)
			lim.max_literal = lim.max_literals_total;
	}
	imap_parser_set_literal_limits(s->parser, &lim);
}

static void
literal_count(struct imap_session *s, uint64_t held)
{
	if (held == s->literal_counted)
		return;
	imap_server_literal_memory_add(s->server, (long long)held - (long long)s->literal_counted);
	s->literal_counted = held;
}

int
imap_literal_account(struct imap_session *s)
{
	const struct settings *set = imap_server_deps(s->server)->settings;
	uint64_t held = imap_parser_literal_bytes(s->parser);
	unsigned long long total;
	bool grew = held > s->literal_counted;

	literal_count(s, held);
	if (!grew)
		return 0;
	total = imap_server_literal_memory_add(s->server, 0);
	if (total <= set->imap_memory_limit)
		return 0;
	/* Too many big literals at once: this command waits for a better moment (RFC 5530
	 * [LIMIT]), the others go on. */
	log_warn("imap: %s: client=[%s] imap_memory_limit reached (%llu bytes announced): "
		 "literal refused",
		 s->base.id, s->base.ip, total);
	if (imap_parser_literal_pending(s->parser, NULL)) {
		/* RFC 3501 7.5: not sent yet; the client waits for "+" or this reply */
		imap_no(s, imap_parser_tag(s->parser),
			"[LIMIT] Too much literal data in progress, try again later");
		imap_parser_next(s->parser);
		literal_count(s, 0);
		return -1;
	}
	/* RFC 7888 4: the data of a non-synchronizing literal is on its way */
	literal_count(s, 0);
	imap_send(s, "* BYE [LIMIT] Too much literal data in progress, try again later");
	imap_session_close(s);
	return -1;
}

void
imap_literal_release(struct imap_session *s)
{
	literal_count(s, 0);
}
