/* The tokenizer of the built-in spam filter (docs/spam.md): a message becomes the set of
 * its distinct tokens, words of its decoded text parts and of selected header fields, as
 * SpamBayes and bogofilter do. Pure and bounded: at most `max_bytes` of the raw message
 * are parsed, at most `max_bytes` of decoded text are split into words, and at most
 * SPAM_TOKENS_MAX distinct tokens are kept, so the CPU a message costs does not grow with
 * its size. */
#ifndef MAIL_SPAM_TOKENS_H
#define MAIL_SPAM_TOKENS_H
#include <stddef.h>

#define SPAM_TOKENS_MAX 1500  /* distinct tokens per message */
#define SPAM_TOKEN_MAX_LEN 40 /* longer words become a "skip:" token */

struct strmap;

struct spam_tokens {
	char **v; /* distinct tokens, in first-seen order; owned */
	size_t n, cap;
	struct strmap *seen;
};

void spam_tokens_init(struct spam_tokens *t);
void spam_tokens_free(struct spam_tokens *t);
/* Adds one token (copied) unless present or the set is full. */
void spam_tokens_add(struct spam_tokens *t, const char *token, size_t len);

/* Tokenizes the message msg[0..len) (CRLF or LF) into t (which is not cleared first):
 *  - header fields, except the trace and result fields we or earlier hops add (Received,
 *    Return-Path, Delivered-To, X-Spam*, Authentication-Results, DKIM/ARC signatures):
 *    "h:<name>" for the presence of each field name; "<name>:<word>" for the words of the
 *    RFC 2047-decoded values of Subject, From, To, Cc, Reply-To, Content-Type, X-Mailer,
 *    User-Agent, List-Id; "<name>:addr:<address>" and "<name>:dom:<domain>" for the
 *    addresses of From, Reply-To, Sender;
 *  - the text parts (text/plain, text/html; transfer encoding undone, charset converted to
 *    UTF-8; HTML tags dropped, their URLs kept): words split on white space, outer
 *    punctuation stripped, ASCII lower-cased; 3 to SPAM_TOKEN_MAX_LEN bytes, longer ones
 *    as "skip:<first byte>:<length rounded down to 10>"; "url:<host>" and "url:<domain>"
 *    for each http(s) URL.
 * Only msg[0..max_bytes) is parsed, and only the first max_bytes of decoded text split. */
void spam_tokenize(const char *msg, size_t len, size_t max_bytes, struct spam_tokens *t);

#endif
