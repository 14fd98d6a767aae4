/* RFC 5256 2.1 base subject extraction, steps 1-7, on an RFC 2047-decoded value. */
#include "mail/base_subject.h"

#include <string.h>

#include "util/str.h"

struct subj {
	char *s;
	size_t start, end;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR = any CHAR but "[" and "]". Returns the
 * position after it, or p when there is none at p. */
static size_t
skip_blob(const struct subj *t, size_t p)
{
	size_t q;

	if (p >= t->end || t->s[p] != '[')
		return p;
	for (q = p + 1; q < t->end && t->s[q] != ']'; q++) {
		if (t->s[q] == '[')
			return p;
	}
	if (q >= t->end)
		return p;
	for (q++; q < t->end && is_wsp(t->s[q]); q++)
		;
	return q;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". Position after it, or p. */
static size_t
skip_refwd(const struct subj *t, size_t p)
{
	size_t q = p;

	if (t->end - q >= 2 && str_ncasecmp(t->s + q, "re", 2) == 0) {
		q += 2;
	} else if (t->end - q >= 2 && str_ncasecmp(t->s + q, "fw", 2) == 0) {
		q += 2;
		if (q < t->end && (t->s[q] == 'd' || t->s[q] == 'D'))
			q++;
	} else {
		return p;
	}
	while (q < t->end && is_wsp(t->s[q]))
		q++;
	q = skip_blob(t, q);
	if (q < t->end && t->s[q] == ':')
		return q + 1;
	return p;
}

/* step 2: subj-trailer = "(fwd)" / WSP, removed repeatedly from the end */
static void
strip_trailers(struct subj *t, bool *reply)
{
	for (;;) {
		if (t->end > t->start && is_wsp(t->s[t->end - 1])) {
			t->end--;
		} else if (t->end - t->start >= 5 &&
			   str_ncasecmp(t->s + t->end - 5, "(fwd)", 5) == 0) {
			t->end -= 5;
			*reply = true;
		} else {
			return;
		}
	}
}

/* step 3: subj-leader = (*subj-blob subj-refwd) / WSP, removed repeatedly */
static bool
strip_leaders(struct subj *t, bool *reply)
{
	bool any = false;

	for (;;) {
		size_t p = t->start, q;

		if (p < t->end && is_wsp(t->s[p])) {
			t->start++;
			any = true;
			continue;
		}
		while ((q = skip_blob(t, p)) != p)
			p = q;
		if ((q = skip_refwd(t, p)) == p)
			return any;
		t->start = q;
		*reply = true;
		any = true;
	}
}

/* step 4: a leading subj-blob goes when something non-blank is left after it */
static bool
strip_blob(struct subj *t)
{
	size_t q = skip_blob(t, t->start);

	if (q == t->start || q >= t->end)
		return false; /* nothing left after the blob: it is the base subject */
	t->start = q;
	return true;
}

void
base_subject(const char *subject, size_t len, struct buf *out, bool *reply_r)
{
	struct buf tmp = BUF_INIT;
	struct subj t;
	bool reply = false, space = false;

	/* step 1: tabs and line ends to spaces, runs of spaces to one (the decoding is
	 * done: rfc2047_decode() unfolded it too) */
	for (size_t i = 0; i < len; i++) {
		char c = subject[i];

		if (c == '\t' || c == '\r' || c == '\n' || c == '\0')
			c = ' ';
		if (c == ' ' && space)
			continue;
		space = c == ' ';
		buf_appendc(&tmp, c);
	}
	t.s = tmp.data;
	t.start = 0;
	t.end = tmp.len;
	for (;;) {
		strip_trailers(&t, &reply);
		/* step 5: steps 3 and 4 until neither removes anything */
		for (;;) {
			bool leaders = strip_leaders(&t, &reply);

			if (!strip_blob(&t) && !leaders)
				break;
		}
		/* step 6: "[fwd:" ... "]" around it: unwrap and start again at step 2 */
		if (t.end - t.start >= 6 && str_ncasecmp(t.s + t.start, "[fwd:", 5) == 0 &&
		    t.s[t.end - 1] == ']') {
			t.start += 5;
			t.end--;
			reply = true;
			continue;
		}
		break;
	}
	for (size_t i = t.start; i < t.end; i++) {
		char c = t.s[i];

		buf_appendc(out, c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
	}
	buf_free(&tmp);
	if (reply_r != NULL)
		*reply_r = reply;
}
