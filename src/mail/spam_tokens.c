/* The spam filter's tokenizer (see spam_tokens.h). */
#include "mail/spam_tokens.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "mail/mime_text.h"
#include "mail/rfc2047.h"
#include "mail/rfc5322.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

#define WORDS_PER_FIELD 50      /* a megabyte Subject: adds no more than this */
#define SPAM_ADDR_TOKEN_MAX 128 /* "from:addr:..." longer than this is not kept */

void
spam_tokens_init(struct spam_tokens *t)
{
	memset(t, 0, sizeof(*t));
	t->seen = strmap_new();
}

void
spam_tokens_free(struct spam_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	strmap_free(&t->seen);
	memset(t, 0, sizeof(*t));
}

void
spam_tokens_add(struct spam_tokens *t, const char *token, size_t len)
{
	char *copy;

	if (t->n >= SPAM_TOKENS_MAX || len == 0)
		return;
	copy = xstrndup(token, len);
	if (strmap_get(t->seen, copy) != NULL) {
		free(copy);
		return;
	}
	strmap_set(t->seen, copy, (void *)1);
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = copy;
}

static void
add_prefixed(struct spam_tokens *t, const char *prefix, const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	buf_appends(&b, prefix);
	buf_append(&b, s, len);
	spam_tokens_add(t, b.data, b.len);
	buf_free(&b);
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Punctuation stripped from both ends of a word ('$' and '!' stay: "$$$", "free!!"). */
static bool
is_outer_punct(unsigned char c)
{
	return c < 0x80 && strchr(".,;:\"'()[]<>{}*?`|=+&#%^~/\\_-", c) != NULL && c != '\0';
}

/* "url:<host>" and "url:<registrable-ish domain>" (the last two labels) for a URL at p. */
static void
add_url(struct spam_tokens *t, const char *p, size_t len)
{
	size_t i = 0, n;
	char host[256];

	while (i < len && p[i] != ':')
		i++;
	i += 3; /* "://" */
	for (n = 0; i < len && n < sizeof(host) - 1; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '/' || c == ':' || c == '?' || c == '#' || c == '"' || c == '\'' ||
		    c == '>' || c == '<' || is_space(c))
			break;
		host[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	while (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0)
		return;
	host[n] = '\0';
	add_prefixed(t, "url:", host, n);
	/* the last two labels: every host of one spammer's domain counts together */
	const char *dot = memrchr(host, '.', n), *dom = host;
	if (dot != NULL && dot > host) {
		const char *dot2 = memrchr(host, '.', (size_t)(dot - host));
		if (dot2 != NULL)
			dom = dot2 + 1;
	}
	if (dom != host)
		add_prefixed(t, "url:", dom, n - (size_t)(dom - host));
}

/* Splits text into words and adds them with prefix ("" for the body). Returns the number
 * of words added (at most max_words). */
static size_t
add_words(struct spam_tokens *t, const char *prefix, const char *s, size_t len, size_t max_words)
{
	size_t i = 0, words = 0;
	char word[SPAM_TOKEN_MAX_LEN + 1];
	struct buf b = BUF_INIT;

	while (i < len && words < max_words && t->n < SPAM_TOKENS_MAX) {
		size_t start, end, wl;

		while (i < len && is_space((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && !is_space((unsigned char)s[i]))
			i++;
		end = i;
		if (end - start > 8 && (str_ncasecmp(s + start, "http://", 7) == 0 ||
					str_ncasecmp(s + start, "https://", 8) == 0)) {
			add_url(t, s + start, end - start);
			words++;
			continue;
		}
		while (start < end && is_outer_punct((unsigned char)s[start]))
			start++;
		while (end > start && is_outer_punct((unsigned char)s[end - 1]))
			end--;
		wl = end - start;
		if (wl < 3)
			continue;
		words++;
		buf_reset(&b);
		buf_appends(&b, prefix);
		if (wl > SPAM_TOKEN_MAX_LEN) {
			/* SpamBayes: a long word says little by itself; its first byte and
			 * rough length do (base64 junk, long URLs, hashes) */
			unsigned char c = (unsigned char)s[start];
			buf_printf(&b, "skip:%c:%zu", c >= 'A' && c <= 'Z' ? c + 32 : c,
				   wl / 10 * 10);
			spam_tokens_add(t, b.data, b.len);
			continue;
		}
		for (size_t k = 0; k < wl; k++) {
			unsigned char c = (unsigned char)s[start + k];
			word[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		buf_append(&b, word, wl);
		spam_tokens_add(t, b.data, b.len);
	}
	buf_free(&b);
	return words;
}

/* Replaces HTML tags by a space, keeping href/src URLs as words. */
static void
strip_html(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i), *gt;
		size_t stop = lt != NULL ? (size_t)(lt - s) : len;

		buf_append(out, s + i, stop - i);
		if (lt == NULL)
			break;
		gt = memchr(lt, '>', len - stop);
		size_t tag_end = gt != NULL ? (size_t)(gt - s) + 1 : len;
		long url = mem_casefind(lt, tag_end - stop, "http", 4);
		buf_appendc(out, ' ');
		if (url >= 0) {
			const char *u = lt + url;
			size_t ul = 0;
			while (stop + (size_t)url + ul < tag_end && u[ul] != '"' && u[ul] != '\'' &&
			       u[ul] != '>' && !is_space((unsigned char)u[ul]))
				ul++;
			buf_append(out, u, ul);
			buf_appendc(out, ' ');
		}
		i = tag_end;
	}
}

static const char *const skip_fields[] = {
	"received",       "return-path",  "delivered-to",          "authentication-results",
	"dkim-signature", "arc-seal",     "arc-message-signature", "arc-authentication-results",
	"x-spam",         "x-spam-score", "x-spam-status",         "date",
	"message-id",
};
static const char *const word_fields[] = {
	"subject",      "from",     "to",         "cc",      "reply-to",
	"content-type", "x-mailer", "user-agent", "list-id",
};
static const char *const addr_fields[] = {"from", "reply-to", "sender"};

static bool
name_in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}
#define NAME_IN(name, list) name_in(name, list, sizeof(list) / sizeof(list[0]))

static void
add_addresses(struct spam_tokens *t, const char *name, const char *value, size_t len)
{
	struct rfc5322_addr_list l;
	struct buf b = BUF_INIT;

	rfc5322_addr_list_parse(value, len, &l);
	for (size_t i = 0; i < l.count && i < 10; i++) {
		const struct rfc5322_addr *a = &l.addrs[i];
		if (a->mailbox == NULL || a->domain == NULL || a->group_start)
			continue;
		buf_reset(&b);
		buf_printf(&b, "%s:addr:%s@%s", name, a->mailbox, a->domain);
		if (b.len > SPAM_ADDR_TOKEN_MAX)
			continue; /* junk, and tokens stay short */
		str_lower(b.data);
		spam_tokens_add(t, b.data, b.len);
		buf_reset(&b);
		buf_printf(&b, "%s:dom:%s", name, a->domain);
		str_lower(b.data);
		spam_tokens_add(t, b.data, b.len);
	}
	rfc5322_addr_list_free(&l);
	buf_free(&b);
}

static void
tokenize_header(const char *hdr, size_t len, struct spam_tokens *t)
{
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	struct buf unfolded = BUF_INIT, decoded = BUF_INIT;
	char name[64], prefix[80];

	rfc5322_header_iter_init(&it, hdr, len);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon || f.name_len == 0 || f.name_len >= sizeof(name))
			continue;
		memcpy(name, f.name, f.name_len);
		name[f.name_len] = '\0';
		str_lower(name);
		if (NAME_IN(name, skip_fields) || str_casepfx(name, "x-spam"))
			continue;
		add_prefixed(t, "h:", name, f.name_len);
		if (NAME_IN(name, addr_fields))
			add_addresses(t, name, f.value, f.value_len);
		if (!NAME_IN(name, word_fields))
			continue;
		buf_reset(&unfolded);
		buf_reset(&decoded);
		rfc5322_unfold(&unfolded, f.value, f.value_len);
		rfc2047_decode(unfolded.data != NULL ? unfolded.data : "", unfolded.len, &decoded);
		snprintf(prefix, sizeof(prefix), "%s:", name);
		add_words(t, prefix, decoded.data != NULL ? decoded.data : "", decoded.len,
			  WORDS_PER_FIELD);
	}
	buf_free(&unfolded);
	buf_free(&decoded);
}

void
spam_tokenize(const char *msg, size_t len, size_t max_bytes, struct spam_tokens *t)
{
	struct mime_tree tree;
	struct buf decoded = BUF_INIT, text = BUF_INIT;
	size_t text_left = max_bytes;

	if (len > max_bytes)
		len = max_bytes;
	memset(&tree, 0, sizeof(tree));
	mime_tree_parse(&tree, msg, len);
	tokenize_header(msg, tree.nparts > 0 ? tree.parts[0].hdr_size : len, t);
	for (size_t i = 0; i < tree.nparts && text_left > 0; i++) {
		const struct mime_part *p = &tree.parts[i];
		size_t off = mime_part_body_off(p), size = p->body_size;
		const char *sub = mime_tree_str(&tree, p->subtype);
		bool html = sub != NULL && str_casecmp(sub, "html") == 0;

		if ((p->flags & MIME_PART_TEXT) == 0 || p->nchildren > 0 || off >= len)
			continue;
		if (size > len - off)
			size = len - off;
		buf_reset(&decoded);
		mime_text_decode_body(msg + off, size, p->enc, mime_tree_str(&tree, p->charset),
				      &decoded);
		const char *d = decoded.data != NULL ? decoded.data : "";
		size_t dl = decoded.len < text_left ? decoded.len : text_left;
		text_left -= dl;
		if (html) {
			buf_reset(&text);
			strip_html(d, dl, &text);
			add_words(t, "", text.data != NULL ? text.data : "", text.len, SIZE_MAX);
		} else {
			add_words(t, "", d, dl, SIZE_MAX);
		}
	}
	buf_free(&decoded);
	buf_free(&text);
	mime_tree_free(&tree);
}
