/* COMPRESS DEFLATE (RFC 4978): after the tagged OK both directions of the connection are
 * raw deflate (src/net/conn_deflate.c), over TLS or not; IDLE, literals and FETCH
 * streaming go on as before, each batch of output sync-flushed so nothing waits. */
#include "imap/imap_session.h"
#include "log/log.h"
#include "net/conn.h"

void
imap_cmd_compress(struct imap_session *s, const struct imap_command *cmd)
{
	if (cmd->count != 1 || !imap_arg_atom_equals(&cmd->args[0], "DEFLATE")) {
		imap_bad(s, cmd->tag, "Only COMPRESS DEFLATE is supported");
		return;
	}
	if (conn_is_compressed(s->base.conn)) {
		/* RFC 4978 3 */
		imap_no(s, cmd->tag, "[COMPRESSIONACTIVE] DEFLATE is already active");
		return;
	}
	imap_ok(s, cmd->tag, "DEFLATE active");
	if (conn_compress(s->base.conn) < 0) {
		/* the OK is out: the client now speaks deflate, which cannot be understood */
		log_warn("imap: %s: client=[%s] COMPRESS failed", s->base.id, s->base.ip);
		imap_session_close(s);
		return;
	}
	log_info("imap: %s: compress=deflate user=%s", s->base.id, s->account);
}
