/* POP3 command line parser (see pop3_cmd.h). */
#include "pop3/pop3_cmd.h"

#include <string.h>

#include "util/str.h"

static const struct {
	const char *name;
	enum pop3_verb verb;
} pop3_verbs[] = {
	{"USER", POP3_VERB_USER}, {"PASS", POP3_VERB_PASS}, {"STAT", POP3_VERB_STAT},
	{"LIST", POP3_VERB_LIST}, {"RETR", POP3_VERB_RETR}, {"DELE", POP3_VERB_DELE},
	{"NOOP", POP3_VERB_NOOP}, {"RSET", POP3_VERB_RSET}, {"QUIT", POP3_VERB_QUIT},
	{"TOP", POP3_VERB_TOP},   {"UIDL", POP3_VERB_UIDL}, {"CAPA", POP3_VERB_CAPA},
	{"STLS", POP3_VERB_STLS}, {"AUTH", POP3_VERB_AUTH}, {"APOP", POP3_VERB_APOP},
};

int
pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd, const char **error_r)
{
	char keyword[8];
	size_t klen = 0, i;
	const char *p, *end = line + len;

	memset(cmd, 0, sizeof(*cmd));
	cmd->rest = "";
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "NUL in command";
		return -1;
	}
	/* RFC 1939 3: keywords are 3-4 characters; allow a little more to name it unknown */
	while (klen < len && line[klen] != ' ') {
		if (klen >= sizeof(keyword) - 1) {
			cmd->verb = POP3_VERB_UNKNOWN;
			return 0;
		}
		keyword[klen] = line[klen];
		klen++;
	}
	keyword[klen] = '\0';
	if (klen == 0) {
		*error_r = "Empty command";
		return -1;
	}
	cmd->verb = POP3_VERB_UNKNOWN;
	for (i = 0; i < sizeof(pop3_verbs) / sizeof(pop3_verbs[0]); i++) {
		if (str_casecmp(keyword, pop3_verbs[i].name) == 0) {
			cmd->verb = pop3_verbs[i].verb;
			break;
		}
	}
	if (klen == len)
		return 0;
	cmd->rest = line + klen + 1;
	for (p = cmd->rest; p < end;) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t alen = sp ? (size_t)(sp - p) : (size_t)(end - p);

		if (cmd->n_args == 2) {
			cmd->n_args = 3;
			break;
		}
		if (cmd->verb == POP3_VERB_AUTH && cmd->n_args == 1 && sp == NULL)
			cmd->response = p; /* the rest of the line, NUL-terminated with it */
		if (alen >= sizeof(cmd->args[0])) {
			if (cmd->response == NULL) {
				*error_r = "Argument too long";
				return -1;
			}
			alen = 0; /* RFC 5034 4: only in response */
		}
		memcpy(cmd->args[cmd->n_args], p, alen);
		cmd->args[cmd->n_args][alen] = '\0';
		cmd->n_args++;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	return 0;
}

int
pop3_cmd_msgnum(const char *arg, unsigned max, unsigned *num_r)
{
	unsigned long long v;

	if (str_to_u64(arg, &v) < 0 || v == 0 || v > max)
		return -1;
	*num_r = (unsigned)v;
	return 0;
}
