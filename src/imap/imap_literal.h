/* Bounds on the literals IMAP clients send (internal to src/imap). Literal data is held in
 * memory until its command is complete, so three limits apply: before login each literal
 * and their sum are small (imap_preauth_literal_limit: LOGIN and AUTHENTICATE need little,
 * whatever command name a client sends, as Dovecot does); after login all literals of one
 * command share imap_command_literal_limit (APPEND's message within message_size_limit);
 * and all sessions together hold at most imap_memory_limit (like smtp_memory_limit). */
#ifndef IMAP_IMAP_LITERAL_H
#define IMAP_IMAP_LITERAL_H

struct imap_session;

/* Sets the parser's literal limits for the session's state (call at creation and login). */
void imap_literal_set_limits(struct imap_session *s);
/* Counts what the command being parsed has announced against imap_memory_limit. 0 ok;
 * -1 refused: a synchronizing literal waiting for its continuation got "tag NO [LIMIT]"
 * and the parser moved on to the next command, or (non-synchronizing, the client sends
 * it anyway) "* BYE [LIMIT]" was sent and the session is closing. Call after every parser
 * step, before answering a literal with "+". */
int imap_literal_account(struct imap_session *s);
/* Gives back what the session counts (the session ends). */
void imap_literal_release(struct imap_session *s);

#endif
