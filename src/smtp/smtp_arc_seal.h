/* ARC sealing of forwarded mail (RFC 8617 5.1): a message that came in on port 25 from
 * outside and leaves again to a remote address (an alias that points to another domain)
 * gets our ARC set, so the next hop can trust the SPF/DKIM/DMARC results we saw even though
 * forwarding broke SPF (and perhaps DKIM). */
#ifndef SMTP_SMTP_ARC_SEAL_H
#define SMTP_SMTP_ARC_SEAL_H

#include "util/buf.h"

struct smtp_session;

/* When the transaction's message was checked by the mailauth stage and the recipient
 * domain that forwards it (the first recipient with remote targets) has an RSA signing key,
 * appends the three ARC fields to out, computed over prefix (our Authentication-Results and
 * trace fields, as the queue will send them) followed by s->msg. Otherwise, or when sealing
 * fails (logged), out is unchanged: ARC is advice, the message goes on unsealed. */
void smtp_arc_seal_forward(struct smtp_session *s, const struct buf *prefix, struct buf *out);

#endif
