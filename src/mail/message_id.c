/* msg-id scanning for THREAD=REFERENCES (RFC 5256 3, RFC 5322 3.6.4). */
#include "mail/message_id.h"

/* A comment "( ... )" with nesting and quoted-pairs (RFC 5322 3.2.2), from p at "(". */
static const char *
skip_comment(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return end;
}

bool
message_id_next(const char **pp, const char *end, const char **id_r, size_t *len_r)
{
	const char *p = *pp;

	while (p < end) {
		const char *id, *q;
		bool at = false, ok = true;

		if (*p == '(') {
			p = skip_comment(p, end);
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		id = ++p;
		for (q = id; q < end && *q != '>'; q++) {
			unsigned char c = (unsigned char)*q;

			if (c == '@')
				at = true;
			else if (c == '<' || c <= ' ' || c == 0x7f)
				ok = false;
			if (c == '<')
				break;
		}
		if (q >= end) {
			*pp = end;
			return false;
		}
		if (*q == '<') {
			p = q; /* start again at this "<" */
			continue;
		}
		p = q + 1;
		if (ok && at && q > id && id[0] != '@' && q[-1] != '@') {
			*id_r = id;
			*len_r = (size_t)(q - id);
			*pp = p;
			return true;
		}
	}
	*pp = end;
	return false;
}
