/* The milter protocol codec (see milter_proto.h). */
#include "mail/milter_proto.h"

#include <string.h>

#include "util/buf.h"

static void
put_u32(struct buf *out, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	buf_append(out, b, 4);
}

static uint32_t
get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Starts a packet: the length is filled in by end_packet(). */
static size_t
begin_packet(struct buf *out, char cmd)
{
	size_t at = out->len;

	put_u32(out, 0);
	buf_appendc(out, cmd);
	return at;
}

static void
end_packet(struct buf *out, size_t at)
{
	uint32_t len = (uint32_t)(out->len - at - 4);
	unsigned char *p = (unsigned char *)out->data + at;

	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
}

static void
put_str(struct buf *out, const char *s)
{
	buf_append(out, s != NULL ? s : "", strlen(s != NULL ? s : "") + 1);
}

void
milter_put_optneg(struct buf *out, uint32_t version, uint32_t actions, uint32_t protocol)
{
	size_t at = begin_packet(out, MILTER_CMD_OPTNEG);

	put_u32(out, version);
	put_u32(out, actions);
	put_u32(out, protocol);
	end_packet(out, at);
}

void
milter_put_connect(struct buf *out, const char *hostname, const char *ip, unsigned port)
{
	size_t at = begin_packet(out, MILTER_CMD_CONNECT);

	put_str(out, hostname);
	if (ip == NULL || *ip == '\0') {
		buf_appendc(out, 'U');
	} else {
		unsigned char p[2] = {(unsigned char)(port >> 8), (unsigned char)port};

		buf_appendc(out, strchr(ip, ':') != NULL ? '6' : '4');
		buf_append(out, p, 2);
		put_str(out, ip);
	}
	end_packet(out, at);
}

void
milter_put_macros(struct buf *out, char cmd_for, const char *const *pairs)
{
	size_t at = begin_packet(out, MILTER_CMD_MACRO);

	buf_appendc(out, cmd_for);
	for (size_t i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
		const char *name = pairs[i];

		if (*pairs[i + 1] == '\0')
			continue;
		if (strlen(name) > 1 && name[0] != '{')
			buf_printf(out, "{%s}", name);
		else
			buf_appends(out, name);
		buf_appendc(out, '\0');
		put_str(out, pairs[i + 1]);
	}
	end_packet(out, at);
}

void
milter_put_strings(struct buf *out, char cmd, const char *const *strs, size_t n)
{
	size_t at = begin_packet(out, cmd);

	for (size_t i = 0; i < n; i++)
		put_str(out, strs[i]);
	end_packet(out, at);
}

void
milter_put_body(struct buf *out, const char *data, size_t len)
{
	size_t at = begin_packet(out, MILTER_CMD_BODY);

	buf_append(out, data, len > MILTER_CHUNK_SIZE ? MILTER_CHUNK_SIZE : len);
	end_packet(out, at);
}

void
milter_put_cmd(struct buf *out, char cmd)
{
	end_packet(out, begin_packet(out, cmd));
}

int
milter_frame(const char *data, size_t len, size_t max, char *cmd_r, const char **payload_r,
	     size_t *plen_r, size_t *used_r)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = get_u32(data);
	if (n == 0 || n > max)
		return -1;
	if (len - 4 < n)
		return 0;
	*cmd_r = data[4];
	*payload_r = data + 5;
	*plen_r = n - 1;
	*used_r = (size_t)n + 4;
	return 1;
}

/* The next NUL-terminated string at *p; NULL if there is no NUL before the end. */
static const char *
take_str(const char **p, size_t *len)
{
	const char *s = *p;
	const char *nul = *len > 0 ? memchr(s, '\0', *len) : NULL;

	if (nul == NULL)
		return NULL;
	*len -= (size_t)(nul - s) + 1;
	*p = nul + 1;
	return s;
}

static bool
valid_header_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c < 33 || *c > 126 || *c == ':')
			return false;
	return true;
}

/* "ddd[ -]text" on each CRLF-separated line, the same 4xx or 5xx code on every line, no
 * other control characters (it becomes our SMTP reply as is). */
static bool
valid_replycode(const char *s)
{
	const char *line = s;

	if ((s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return false;
	for (;;) {
		const char *end = line;

		if (memcmp(line, s, 3) != 0 ||
		    (line[3] != ' ' && line[3] != '-' && line[3] != '\0'))
			return false;
		while (*end != '\0' && *end != '\r' && *end != '\n') {
			if ((unsigned char)*end < 0x20 || *end == 0x7f)
				if (*end != '\t')
					return false;
			end++;
		}
		if (*end == '\0')
			return line[3] != '-';
		if (end[0] != '\r' || end[1] != '\n' || line[3] != '-')
			return false;
		line = end + 2;
		if (strlen(line) < 3)
			return false;
	}
}

int
milter_parse_reply(char cmd, const char *payload, size_t len, struct milter_reply *r)
{
	const char *p = payload;

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	switch (cmd) {
	case MILTER_R_ACCEPT:
	case MILTER_R_CONTINUE:
	case MILTER_R_DISCARD:
	case MILTER_R_REJECT:
	case MILTER_R_TEMPFAIL:
	case MILTER_R_SKIP:
	case MILTER_R_PROGRESS:
	case MILTER_R_SHUTDOWN:
	case MILTER_R_CONN_FAIL:
		return 0; /* a payload, if any, is ignored (as libmilter's MTA side does) */
	case MILTER_R_OPTNEG:
		if (len < 12)
			return -1;
		r->version = get_u32(p);
		r->actions = get_u32(p + 4);
		r->protocol = get_u32(p + 8);
		r->symlists = p + 12;
		r->symlists_len = len - 12;
		return 0;
	case MILTER_R_REPLBODY:
		r->data = payload;
		r->len = len;
		return 0;
	case MILTER_R_INSHEADER:
	case MILTER_R_CHGHEADER:
		if (len < 4)
			return -1;
		r->index = get_u32(p);
		p += 4;
		len -= 4;
		/* fall through */
	case MILTER_R_ADDHEADER:
		r->str1 = take_str(&p, &len);
		r->str2 = take_str(&p, &len);
		if (r->str1 == NULL || r->str2 == NULL || !valid_header_name(r->str1))
			return -1;
		return 0;
	case MILTER_R_ADDRCPT:
	case MILTER_R_DELRCPT:
	case MILTER_R_QUARANTINE:
		r->str1 = take_str(&p, &len);
		return r->str1 != NULL ? 0 : -1;
	case MILTER_R_ADDRCPT_PAR:
	case MILTER_R_CHGFROM:
		r->str1 = take_str(&p, &len);
		if (r->str1 == NULL)
			return -1;
		r->str2 = take_str(&p, &len); /* optional parameters */
		return 0;
	case MILTER_R_REPLYCODE:
		r->str1 = take_str(&p, &len);
		return r->str1 != NULL && valid_replycode(r->str1) ? 0 : -1;
	default:
		return -1;
	}
}

int
milter_symlist_next(const char **p, size_t *len, uint32_t *stage_r, const char **macros_r)
{
	if (*len == 0)
		return 0;
	if (*len < 4)
		return -1;
	*stage_r = get_u32(*p);
	*p += 4;
	*len -= 4;
	*macros_r = take_str(p, len);
	return *macros_r != NULL && *stage_r < MILTER_M_COUNT ? 1 : -1;
}

bool
milter_reply_is_final(char cmd)
{
	return strchr("acdrtys", cmd) != NULL && cmd != '\0';
}
