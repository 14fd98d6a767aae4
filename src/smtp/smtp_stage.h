/* The stages of an SMTP transaction besides the protocol itself: mail authentication (SPF
 * started at MAIL, DKIM hashed while the data streams, DMARC decided at end of data), and
 * the filters (milters, clamd, the spam filter). Each stage is one row of hooks in
 * smtp_stage.c's table; the session calls every stage's hook at the same points, in table
 * order, so that a new check is added once, in one place, and never slows the others.
 *
 * The order of a transaction:
 *   MAIL accepted          -> every .mail hook (start lookups; no reply, no waiting)
 *   RCPT passed the server's own checks
 *                          -> .rcpt of stage 1; it calls smtp_stage_rcpt_done(), now or
 *                             later; CONTINUE runs the next stage; after the last, 250
 *   message bytes arrive   -> every .data hook with the new bytes, in order
 *   end of data, after the built-in checks (size, loop, From: ownership)
 *                          -> .end_of_data of stage 1; it calls smtp_stage_done(), now or
 *                             later; CONTINUE runs the next stage; after the last, delivery
 *   transaction forgotten  -> every .reset hook (delivered, rejected, RSET, QUIT, drop)
 *
 * Per-stage state lives in a field of struct smtp_session the stage owns. */
#ifndef SMTP_SMTP_STAGE_H
#define SMTP_SMTP_STAGE_H
#include <stddef.h>

struct smtp_session;

struct smtp_stage {
	const char *name;
	/* MAIL FROM was accepted (s->mail_from, s->helo, s->base.ip are set). Must not reply
	 * or pause the session. Optional. */
	void (*mail)(struct smtp_session *s);
	/* A recipient passed the server's own checks: it is s->rcpts[s->n_rcpts - 1]. Decide,
	 * and call smtp_stage_rcpt_done() exactly once, before returning or later from a
	 * callback (the session is paused meanwhile). Optional. */
	void (*rcpt)(struct smtp_session *s);
	/* The next bytes of the message as it arrives, after dot-unstuffing (DATA) or CRLF
	 * normalisation (BDAT): the concatenation of all calls is the message. Not called once
	 * the message is over the size or memory limit. Optional. */
	void (*data)(struct smtp_session *s, const char *bytes, size_t len);
	/* The whole message is in s->msg. Decide, and call smtp_stage_done() exactly once,
	 * before returning or later from a callback (the session is paused meanwhile). A stage
	 * may edit s->msg (strip header fields), add header fields for delivery
	 * (s->stage_headers) and choose the local mailbox (s->deliver_mailbox). Optional. */
	void (*end_of_data)(struct smtp_session *s);
	/* The transaction is forgotten: cancel work in flight (its callbacks must not run
	 * afterwards) and free the stage's state. Called also when nothing was started, and
	 * possibly twice. Optional. */
	void (*reset)(struct smtp_session *s);
};

enum smtp_stage_verdict {
	SMTP_STAGE_CONTINUE, /* go on to the next stage, then deliver */
	SMTP_STAGE_REJECT,   /* answer `reply` (4xx or 5xx) and store nothing */
	SMTP_STAGE_DISCARD,  /* answer 250 but deliver nothing (a milter's discard) */
};

/* The hooks, called by smtp_commands.c and smtp_message.c. */
void smtp_stage_mail(struct smtp_session *s);
/* Runs the rcpt hooks in order for the recipient just added (s->rcpts[s->n_rcpts - 1]),
 * then answers the RCPT command: 250, or the reply of the stage that refused it (the
 * recipient is then removed). */
void smtp_stage_rcpt(struct smtp_session *s);
void smtp_stage_data(struct smtp_session *s);
void smtp_stage_reset(struct smtp_session *s);
/* Runs the end_of_data hooks in order; then `deliver` unless a stage stopped it. */
void smtp_stage_end_of_data(struct smtp_session *s, void (*deliver)(struct smtp_session *s));

/* A stage's decision. `reply` is the whole reply line for SMTP_STAGE_REJECT ("550 5.7.1
 * ..."), NULL otherwise; it is copied. `why` goes into the log line (may be NULL). After
 * this call the stage must not touch s: the session may be gone. */
void smtp_stage_done(struct smtp_session *s, enum smtp_stage_verdict verdict, const char *reply,
		     const char *why);
/* A stage's decision on a recipient: SMTP_STAGE_CONTINUE or SMTP_STAGE_REJECT (with the
 * reply, copied). After this call the stage must not touch s. */
void smtp_stage_rcpt_done(struct smtp_session *s, enum smtp_stage_verdict verdict,
			  const char *reply, const char *why);

#endif
