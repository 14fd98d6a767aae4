/* IDLE (RFC 2177): the client waits for "+ idling", the server pushes changes of the
 * selected mailbox as they happen (through the store's notify bus), until "DONE". */
#include <stdlib.h>

#include "imap/imap_session.h"
#include "util/str.h"
#include "util/xmalloc.h"

void
imap_cmd_idle(struct imap_session *s, const struct imap_command *cmd)
{
	if (cmd->count != 0) {
		imap_bad(s, cmd->tag, "IDLE takes no arguments");
		return;
	}
	free(s->cont_tag);
	s->cont_tag = xstrdup(cmd->tag);
	s->wait = IMAP_WAIT_IDLE;
	imap_send(s, "+ idling");
	/* what changed before the IDLE started goes out at once */
	imap_sync(s, true);
}

void
imap_idle_line(struct imap_session *s, const char *line)
{
	char *tag = s->cont_tag;

	s->cont_tag = NULL;
	s->wait = IMAP_WAIT_NONE;
	if (str_casecmp(line, "DONE") == 0)
		imap_ok(s, tag, "IDLE terminated");
	else
		imap_bad(s, tag, "Expected DONE");
	free(tag);
}
