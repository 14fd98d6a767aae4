/* The resumable IMAP command parser (see imap_parser.h). One byte-driven state machine;
 * literal data is copied in bulk. Grammar: RFC 3501 section 9 and RFC 9051 section 9,
 * with LITERAL+ (RFC 7888) and literal8 (RFC 3516). Lenient where real clients are:
 * runs of spaces between arguments and bare LF line ends are accepted. */
#include "imap/imap_parser.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/xmalloc.h"

const struct imap_parser_limits imap_parser_default_limits = {
	.max_line = 65536,
	.max_literal = 65536,
	.max_append = 64 * 1024 * 1024,
	.max_literals_total = 64 * 1024 * 1024,
	.max_depth = 32,
	.max_args = 10000,
	.nonsync_toobig_fatal = false,
};

enum ps {
	PS_TAG,
	PS_CMD,
	PS_ARGS,      /* expecting an argument, a closer or the line end */
	PS_AFTER_ARG, /* an argument just ended: SP, ')', ']' or the line end */
	PS_ATOM,
	PS_TILDE, /* '~': literal8 or an atom starting with '~' */
	PS_QUOTED,
	PS_QUOTED_ESC,
	PS_LIT_SIZE,
	PS_LIT_CR, /* after '}': CRLF */
	PS_LIT_LF,
	PS_LIT_WAIT, /* synchronizing literal: waits for imap_parser_literal_continue() */
	PS_LIT_DATA,
	PS_AFTER_SECTION,
	PS_PARTIAL, /* inside <offset.size> */
	PS_EOL_LF,  /* after the final CR */
	PS_DONE,
	PS_ERROR,
	PS_SKIP_LINE,
	PS_SKIP_LITERAL,
};

enum frame_kind { FRAME_TOP, FRAME_LIST, FRAME_SECTION };

struct frame {
	enum frame_kind kind;
	struct imap_arg *args;
	size_t count;
	size_t cap;
	char *atom; /* FRAME_SECTION: the FETCH item name before '[' */
};

/* Recognizing "{n+}" at the end of a skipped line (so its data is skipped too). */
enum skip_lit { SKL_NONE, SKL_OPEN, SKL_DIGITS, SKL_PLUS, SKL_CLOSED, SKL_CR };

struct imap_parser {
	struct imap_parser_limits limits;
	enum ps state;
	struct buf tok;
	char *tag;
	char *name;
	bool uid;
	bool fetch_mode;  /* FETCH: atoms take [section]<partial> */
	bool notify_mode; /* NOTIFY: only FETCH items take [section] (section_bracket) */
	bool append_mode; /* APPEND: literals up to max_append */
	struct frame *frames;
	unsigned depth; /* frames in use; frames[0] is the top level */
	size_t nargs;
	size_t line_len;
	/* literal being read */
	uint64_t lit_total; /* announced literal bytes of this command, the current one too */
	uint64_t lit_size;
	uint64_t lit_left;
	bool lit_sync;
	bool lit8;
	unsigned lit_digits;
	/* partial being read */
	uint64_t part_num[2];
	unsigned part_idx;
	unsigned part_digits;
	/* error */
	const char *error;
	enum imap_parse_error error_code;
	bool skip_after;       /* the rest of the line must be skipped after next() */
	uint64_t skip_literal; /* bytes of a refused non-synchronizing literal to skip first */
	enum skip_lit skl;
	uint64_t skl_size;
	struct imap_command cmd;
};

enum step { STEP_OK, STEP_DONE, STEP_ERR, STEP_WAIT };

static void
args_free(struct imap_arg *args, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free((char *)args[i].str);
		args_free(args[i].list, args[i].count);
	}
	free(args);
}

static void
frames_clear(struct imap_parser *p)
{
	for (unsigned i = 0; i < p->depth; i++) {
		args_free(p->frames[i].args, p->frames[i].count);
		free(p->frames[i].atom);
		memset(&p->frames[i], 0, sizeof(p->frames[i]));
	}
	p->depth = 1;
	p->frames[0].kind = FRAME_TOP;
}

struct imap_parser *
imap_parser_new(const struct imap_parser_limits *limits)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	p->limits = limits != NULL ? *limits : imap_parser_default_limits;
	if (p->limits.max_depth == 0)
		p->limits.max_depth = 1;
	buf_init(&p->tok);
	p->frames = xcalloc(p->limits.max_depth + 1, sizeof(*p->frames));
	p->depth = 1;
	p->state = PS_TAG;
	return p;
}

static void
command_clear(struct imap_parser *p)
{
	frames_clear(p);
	args_free(p->cmd.args, p->cmd.count);
	memset(&p->cmd, 0, sizeof(p->cmd));
	free(p->tag);
	free(p->name);
	p->tag = p->name = NULL;
	p->uid = p->fetch_mode = p->notify_mode = p->append_mode = false;
	p->nargs = 0;
	p->lit_total = 0;
	p->line_len = 0;
	p->error = NULL;
	p->error_code = IMAP_PARSE_ERR_NONE;
	buf_reset(&p->tok);
}

void
imap_parser_free(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	command_clear(p);
	frames_clear(p);
	free(p->frames);
	buf_free(&p->tok);
	free(p);
	*pp = NULL;
}

void
imap_parser_next(struct imap_parser *p)
{
	bool skip = p->state == PS_ERROR && p->skip_after;

	command_clear(p);
	if (skip) {
		p->skl = SKL_NONE;
		p->state = p->skip_literal > 0 ? PS_SKIP_LITERAL : PS_SKIP_LINE;
	} else {
		p->state = PS_TAG;
	}
	p->skip_after = false;
}

/* Records an error at byte c (already consumed). Returns STEP_ERR. */
static enum step
fail(struct imap_parser *p, unsigned char c, enum imap_parse_error code, const char *why)
{
	p->error = why;
	p->error_code = code;
	p->state = PS_ERROR;
	p->skip_after = c != '\n';
	return STEP_ERR;
}

static bool
is_tag_char(unsigned char c)
{
	/* ASTRING-CHAR except "+" (RFC 3501 9: tag) */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\+", c) == NULL;
}

/* Lenient atom characters: CHAR except SP, CTL, "(", ")", "{", DQUOTE (RFC 3501 9
 * atom-specials minus list-wildcards, "\" and "]", which flags, LIST patterns, sequence
 * sets and astrings use). In FETCH mode "[" and "]" are structure, handled by callers. */
static bool
is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

static struct frame *
top(struct imap_parser *p)
{
	return &p->frames[p->depth - 1];
}

/* Adds an argument to the current frame; the strings are taken over. */
static struct imap_arg *
add_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct frame *f = top(p);
	struct imap_arg *a;

	f->args = xgrow(f->args, &f->cap, f->count + 1, sizeof(*f->args));
	a = &f->args[f->count++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	p->nargs++;
	return a;
}

static void
add_string_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct imap_arg *a = add_arg(p, type);

	a->len = p->tok.len;
	a->str = buf_steal(&p->tok);
	if (memchr(a->str, '\0', a->len) != NULL)
		a->flags |= IMAP_ARG_FLAG_NUL;
	if (type == IMAP_ARG_ATOM && str_casecmp(a->str, "NIL") == 0)
		a->type = IMAP_ARG_NIL;
}

static enum step
check_args(struct imap_parser *p, unsigned char c)
{
	if (p->nargs >= p->limits.max_args)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Too many arguments");
	return STEP_OK;
}

static enum step
push_frame(struct imap_parser *p, unsigned char c, enum frame_kind kind)
{
	struct frame *f;

	if (p->depth > p->limits.max_depth)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Too deeply nested");
	if (check_args(p, c) != STEP_OK)
		return STEP_ERR;
	f = &p->frames[p->depth++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	if (kind == FRAME_SECTION)
		f->atom = buf_steal(&p->tok);
	return STEP_OK;
}

/* Closes the current list or section into an argument of its parent. */
static void
pop_frame(struct imap_parser *p)
{
	struct frame f = *top(p);
	struct imap_arg *a;

	memset(top(p), 0, sizeof(f));
	p->depth--;
	p->nargs--; /* counted at push */
	if (f.kind == FRAME_LIST) {
		a = add_arg(p, IMAP_ARG_LIST);
	} else {
		a = add_arg(p, IMAP_ARG_ATOM);
		a->flags |= IMAP_ARG_FLAG_SECTION;
		a->str = f.atom;
		a->len = strlen(f.atom);
	}
	a->list = f.args;
	a->count = f.count;
}

static enum step
finish_command(struct imap_parser *p, unsigned char c)
{
	struct frame *f = top(p);

	if (f->kind != FRAME_TOP)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX,
			    f->kind == FRAME_LIST ? "Missing ')'" : "Missing ']'");
	p->cmd.tag = p->tag;
	p->cmd.name = p->name;
	p->cmd.uid = p->uid;
	p->cmd.args = f->args;
	p->cmd.count = f->count;
	f->args = NULL;
	f->count = f->cap = 0;
	p->state = PS_DONE;
	return STEP_DONE;
}

static enum step
end_of_line(struct imap_parser *p, unsigned char c)
{
	if (c == '\r') {
		p->state = PS_EOL_LF;
		return STEP_OK;
	}
	return finish_command(p, c);
}

static enum step step_args(struct imap_parser *p, unsigned char c);

static enum step
step_tag(struct imap_parser *p, unsigned char c)
{
	if (c == ' ' && p->tok.len > 0) {
		p->tag = buf_steal(&p->tok);
		p->state = PS_CMD;
		return STEP_OK;
	}
	if ((c == '\r' || c == '\n') && p->tok.len == 0) {
		if (c == '\r')
			return STEP_OK; /* an empty line: ignored */
		p->line_len = 0;
		return STEP_OK;
	}
	if (c == '\r' || c == '\n') {
		p->tag = buf_steal(&p->tok);
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Missing command");
	}
	if (!is_tag_char(c))
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid tag");
	buf_appendc(&p->tok, (char)c);
	return STEP_OK;
}

static void
set_name(struct imap_parser *p)
{
	p->name = buf_steal(&p->tok);
	str_upper(p->name);
	p->fetch_mode = strcmp(p->name, "FETCH") == 0;
	p->notify_mode = strcmp(p->name, "NOTIFY") == 0;
	p->append_mode = strcmp(p->name, "APPEND") == 0;
}

static enum step
step_cmd(struct imap_parser *p, unsigned char c)
{
	if (c == ' ' || c == '\r' || c == '\n') {
		if (p->tok.len == 0)
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Missing command");
		if (!p->uid && str_casecmp(buf_cstr(&p->tok), "UID") == 0) {
			if (c != ' ')
				return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Missing UID command");
			p->uid = true;
			buf_reset(&p->tok);
			return STEP_OK;
		}
		set_name(p);
		if (c == ' ') {
			p->state = PS_ARGS;
			return STEP_OK;
		}
		return end_of_line(p, c);
	}
	if (!is_atom_char(c) || p->tok.len >= 64)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid command name");
	buf_appendc(&p->tok, (char)c);
	return STEP_OK;
}

static enum step
start_literal(struct imap_parser *p, unsigned char c)
{
	uint64_t max = p->append_mode ? p->limits.max_append : p->limits.max_literal;

	if (check_args(p, c) != STEP_OK)
		return STEP_ERR;
	/* one limit for each literal, one for all of the command's (the line holds thousands) */
	if (p->lit_size > max || p->lit_total > p->limits.max_literals_total ||
	    p->lit_size > p->limits.max_literals_total - p->lit_total) {
		/* RFC 7888 4: a refused non-synchronizing literal is read and dropped, or the
		 * connection closed (the client sends it anyway) */
		if (!p->lit_sync && p->limits.nonsync_toobig_fatal)
			return fail(p, c, IMAP_PARSE_ERR_FATAL, "[TOOBIG] Literal too large");
		if (!p->lit_sync)
			p->skip_literal = p->lit_size;
		fail(p, c, IMAP_PARSE_ERR_TOOBIG, "Literal too large");
		p->skip_after = !p->lit_sync;
		return STEP_ERR;
	}
	buf_reset(&p->tok);
	p->lit_total += p->lit_size;
	p->lit_left = p->lit_size;
	if (p->lit_sync) {
		p->state = PS_LIT_WAIT;
		return STEP_WAIT;
	}
	p->state = PS_LIT_DATA;
	return STEP_OK;
}

static void
finish_literal(struct imap_parser *p)
{
	add_string_arg(p, IMAP_ARG_LITERAL);
	if (p->lit8)
		top(p)->args[top(p)->count - 1].flags |= IMAP_ARG_FLAG_LITERAL8;
	p->state = PS_AFTER_ARG;
}

static enum step
step_lit_size(struct imap_parser *p, unsigned char c)
{
	if (c >= '0' && c <= '9' && p->lit_sync) {
		if (p->lit_digits >= 19)
			return fail(p, c, IMAP_PARSE_ERR_FATAL, "Literal size too large");
		p->lit_size = p->lit_size * 10 + (uint64_t)(c - '0');
		p->lit_digits++;
		return STEP_OK;
	}
	if (c == '+' && p->lit_sync && p->lit_digits > 0) {
		p->lit_sync = false;
		return STEP_OK;
	}
	if (c == '}' && p->lit_digits > 0) {
		p->state = PS_LIT_CR;
		return STEP_OK;
	}
	return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid literal size");
}

static enum step
step_quoted(struct imap_parser *p, unsigned char c)
{
	if (p->state == PS_QUOTED_ESC) {
		/* RFC 3501 9: quoted-specials are the only escapes */
		if (c != '"' && c != '\\')
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid escape in quoted string");
		buf_appendc(&p->tok, (char)c);
		p->state = PS_QUOTED;
		return STEP_OK;
	}
	switch (c) {
	case '\\':
		p->state = PS_QUOTED_ESC;
		return STEP_OK;
	case '"':
		add_string_arg(p, IMAP_ARG_QUOTED);
		p->state = PS_AFTER_ARG;
		return STEP_OK;
	case '\r':
	case '\n':
	case '\0':
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid character in quoted string");
	default:
		buf_appendc(&p->tok, (char)c);
		return STEP_OK;
	}
}

static enum step
end_atom(struct imap_parser *p, unsigned char c)
{
	add_string_arg(p, IMAP_ARG_ATOM);
	p->state = PS_AFTER_ARG;
	return step_args(p, c);
}

/* Whether c ("[" or "]") is section structure here: always in FETCH; in NOTIFY, whose
 * MessageNew takes FETCH's items (RFC 5465 8) beside mailbox names that may hold brackets,
 * "[" after BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE and "]" closing it. */
static bool
section_bracket(struct imap_parser *p, unsigned char c)
{
	static const char *const items[] = {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK",
					    "BINARY.SIZE"};

	if (c != '[' && c != ']')
		return false;
	if (p->fetch_mode)
		return true;
	if (!p->notify_mode)
		return false;
	if (c == ']')
		return top(p)->kind == FRAME_SECTION;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (p->tok.len == strlen(items[i]) &&
		    str_ncasecmp(p->tok.data, items[i], p->tok.len) == 0)
			return true;
	}
	return false;
}

static enum step
step_atom(struct imap_parser *p, unsigned char c)
{
	if (c == '[' && section_bracket(p, c)) {
		if (top(p)->kind == FRAME_SECTION)
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Unexpected '['");
		if (push_frame(p, c, FRAME_SECTION) != STEP_OK)
			return STEP_ERR;
		p->state = PS_ARGS;
		return STEP_OK;
	}
	if (c == ']' && section_bracket(p, c))
		return end_atom(p, c);
	if (is_atom_char(c)) {
		buf_appendc(&p->tok, (char)c);
		return STEP_OK;
	}
	if (c == ' ' || c == '\r' || c == '\n' || c == ')')
		return end_atom(p, c);
	return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid character in atom");
}

static enum step
step_partial(struct imap_parser *p, unsigned char c)
{
	struct imap_arg *a;

	if (c >= '0' && c <= '9') {
		if (p->part_digits >= 18)
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Partial number too large");
		p->part_num[p->part_idx] = p->part_num[p->part_idx] * 10 + (uint64_t)(c - '0');
		p->part_digits++;
		return STEP_OK;
	}
	if (c == '.' && p->part_idx == 0 && p->part_digits > 0) {
		p->part_idx = 1;
		p->part_digits = 0;
		return STEP_OK;
	}
	/* RFC 3501 9: "<" number "." nz-number ">" */
	if (c != '>' || p->part_idx != 1 || p->part_digits == 0 || p->part_num[1] == 0)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid partial");
	a = &top(p)->args[top(p)->count - 1];
	a->flags |= IMAP_ARG_FLAG_PARTIAL;
	a->partial_offset = p->part_num[0];
	a->partial_size = p->part_num[1];
	p->state = PS_AFTER_ARG;
	return STEP_OK;
}

static enum step
close_frame(struct imap_parser *p, unsigned char c)
{
	enum frame_kind kind = top(p)->kind;

	if (c == ')' && kind != FRAME_LIST)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Unexpected ')'");
	if (c == ']' && kind != FRAME_SECTION)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Unexpected ']'");
	pop_frame(p);
	if (kind == FRAME_SECTION) {
		p->state = PS_AFTER_SECTION;
		return STEP_OK;
	}
	p->state = PS_AFTER_ARG;
	return STEP_OK;
}

static enum step
start_arg(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case '(':
		if (push_frame(p, c, FRAME_LIST) != STEP_OK)
			return STEP_ERR;
		return STEP_OK;
	case '"':
		if (check_args(p, c) != STEP_OK)
			return STEP_ERR;
		buf_reset(&p->tok);
		p->state = PS_QUOTED;
		return STEP_OK;
	case '{':
	case '~':
		p->lit_size = 0;
		p->lit_digits = 0;
		p->lit_sync = true;
		p->lit8 = c == '~';
		p->state = c == '~' ? PS_TILDE : PS_LIT_SIZE;
		return STEP_OK;
	default:
		if (!is_atom_char(c) || (p->fetch_mode && (c == '[' || c == ']')) ||
		    (c == ']' && section_bracket(p, c)))
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Invalid character");
		if (check_args(p, c) != STEP_OK)
			return STEP_ERR;
		buf_reset(&p->tok);
		buf_appendc(&p->tok, (char)c);
		p->state = PS_ATOM;
		return STEP_OK;
	}
}

/* PS_ARGS and PS_AFTER_ARG. */
static enum step
step_args(struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ':
		p->state = PS_ARGS;
		return STEP_OK;
	case '\r':
	case '\n':
		return end_of_line(p, c);
	case ')':
		return close_frame(p, c);
	case ']':
		if (section_bracket(p, c))
			return close_frame(p, c);
		break;
	default:
		break;
	}
	if (p->state == PS_AFTER_ARG)
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Missing space between arguments");
	return start_arg(p, c);
}

static enum step
step_lit_eol(struct imap_parser *p, unsigned char c)
{
	if (p->state == PS_LIT_CR && c == '\r') {
		p->state = PS_LIT_LF;
		return STEP_OK;
	}
	if (c != '\n')
		return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "Literal size not followed by CRLF");
	return start_literal(p, c);
}

static enum step
step(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case PS_TAG:
		return step_tag(p, c);
	case PS_CMD:
		return step_cmd(p, c);
	case PS_ARGS:
	case PS_AFTER_ARG:
		return step_args(p, c);
	case PS_ATOM:
		return step_atom(p, c);
	case PS_TILDE:
		if (c == '{') {
			p->state = PS_LIT_SIZE;
			return STEP_OK;
		}
		p->lit8 = false;
		buf_reset(&p->tok);
		buf_appendc(&p->tok, '~');
		p->state = PS_ATOM;
		return step_atom(p, c);
	case PS_QUOTED:
	case PS_QUOTED_ESC:
		return step_quoted(p, c);
	case PS_LIT_SIZE:
		return step_lit_size(p, c);
	case PS_LIT_CR:
	case PS_LIT_LF:
		return step_lit_eol(p, c);
	case PS_AFTER_SECTION:
		if (c == '<') {
			p->part_num[0] = p->part_num[1] = 0;
			p->part_idx = p->part_digits = 0;
			p->state = PS_PARTIAL;
			return STEP_OK;
		}
		p->state = PS_AFTER_ARG;
		return step_args(p, c);
	case PS_PARTIAL:
		return step_partial(p, c);
	case PS_EOL_LF:
		if (c != '\n')
			return fail(p, c, IMAP_PARSE_ERR_SYNTAX, "CR not followed by LF");
		return finish_command(p, c);
	default:
		return fail(p, c, IMAP_PARSE_ERR_FATAL, "Parser misuse");
	}
}

/* Skipping the rest of a bad line; a "{n+}" at its end announces data to skip too. */
static void
skip_byte(struct imap_parser *p, unsigned char c)
{
	if (c == '\n') {
		if ((p->skl == SKL_CLOSED || p->skl == SKL_CR) && p->skl_size > 0) {
			p->skip_literal = p->skl_size;
			p->skl = SKL_NONE;
			p->state = PS_SKIP_LITERAL;
			return;
		}
		p->skl = SKL_NONE;
		p->state = PS_TAG;
		return;
	}
	if (c == '{') {
		p->skl = SKL_OPEN;
		p->skl_size = 0;
	} else if (c >= '0' && c <= '9' && (p->skl == SKL_OPEN || p->skl == SKL_DIGITS)) {
		p->skl = p->skl_size > UINT64_MAX / 20 ? SKL_NONE : SKL_DIGITS;
		p->skl_size = p->skl_size * 10 + (uint64_t)(c - '0');
	} else if (c == '+' && p->skl == SKL_DIGITS) {
		p->skl = SKL_PLUS;
	} else if (c == '}' && p->skl == SKL_PLUS) {
		p->skl = SKL_CLOSED;
	} else if (c == '\r' && p->skl == SKL_CLOSED) {
		p->skl = SKL_CR;
	} else {
		p->skl = SKL_NONE;
	}
}

/* Consumes what it can of data in the skipping states; returns bytes used. */
static size_t
skip_input(struct imap_parser *p, const unsigned char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (p->state == PS_SKIP_LINE || p->state == PS_SKIP_LITERAL)) {
		if (p->state == PS_SKIP_LITERAL) {
			size_t n = len - i < p->skip_literal ? len - i : (size_t)p->skip_literal;
			i += n;
			p->skip_literal -= n;
			if (p->skip_literal == 0)
				p->state = PS_SKIP_LINE;
			continue;
		}
		skip_byte(p, data[i++]);
	}
	return i;
}

static size_t
literal_input(struct imap_parser *p, const unsigned char *data, size_t len)
{
	size_t n = len < p->lit_left ? len : (size_t)p->lit_left;

	buf_append(&p->tok, data, n);
	p->lit_left -= n;
	if (p->lit_left == 0)
		finish_literal(p);
	return n;
}

int
imap_parser_parse(struct imap_parser *p, const void *data, size_t len, size_t *used_r)
{
	const unsigned char *d = data;
	size_t i = 0;
	enum step r;

	*used_r = 0;
	while (i < len) {
		switch (p->state) {
		case PS_DONE:
			*used_r = i;
			return 1;
		case PS_ERROR:
			*used_r = i;
			return -1;
		case PS_LIT_WAIT:
			*used_r = i;
			return 0;
		case PS_SKIP_LINE:
		case PS_SKIP_LITERAL:
			i += skip_input(p, d + i, len - i);
			continue;
		case PS_LIT_DATA:
			i += literal_input(p, d + i, len - i);
			continue;
		default:
			break;
		}
		if (++p->line_len > p->limits.max_line) {
			fail(p, d[i], IMAP_PARSE_ERR_LINE, "Command line too long");
			*used_r = i + 1;
			return -1;
		}
		r = step(p, d[i++]);
		if (r == STEP_DONE) {
			*used_r = i;
			return 1;
		}
		if (r == STEP_ERR) {
			*used_r = i;
			return -1;
		}
		if (r == STEP_WAIT) {
			*used_r = i;
			return 0;
		}
	}
	*used_r = i;
	if (p->state == PS_DONE)
		return 1;
	if (p->state == PS_ERROR)
		return -1;
	/* a zero-length non-synchronizing literal completes without data */
	if (p->state == PS_LIT_DATA && p->lit_left == 0)
		finish_literal(p);
	return 0;
}

const struct imap_command *
imap_parser_command(const struct imap_parser *p)
{
	return p->state == PS_DONE ? &p->cmd : NULL;
}

const char *
imap_parser_tag(const struct imap_parser *p)
{
	return p->tag;
}

const char *
imap_parser_name(const struct imap_parser *p)
{
	return p->name;
}

const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->error;
}

enum imap_parse_error
imap_parser_error_code(const struct imap_parser *p)
{
	return p->error_code;
}

void
imap_parser_set_literal_limits(struct imap_parser *p, const struct imap_parser_limits *limits)
{
	p->limits.max_literal = limits->max_literal;
	p->limits.max_append = limits->max_append;
	p->limits.max_literals_total = limits->max_literals_total;
	p->limits.nonsync_toobig_fatal = limits->nonsync_toobig_fatal;
}

uint64_t
imap_parser_literal_bytes(const struct imap_parser *p)
{
	return p->lit_total;
}

bool
imap_parser_literal_pending(const struct imap_parser *p, uint64_t *size_r)
{
	if (p->state != PS_LIT_WAIT)
		return false;
	if (size_r != NULL)
		*size_r = p->lit_size;
	return true;
}

void
imap_parser_literal_continue(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return;
	p->state = PS_LIT_DATA;
	if (p->lit_left == 0)
		finish_literal(p);
}

bool
imap_arg_get_astring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_LIST ||
	    (arg->flags & (IMAP_ARG_FLAG_NUL | IMAP_ARG_FLAG_SECTION)))
		return false;
	*str_r = arg->str;
	return true;
}

bool
imap_arg_get_string(const struct imap_arg *arg, const char **str_r)
{
	if ((arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL) ||
	    (arg->flags & IMAP_ARG_FLAG_NUL))
		return false;
	*str_r = arg->str;
	return true;
}

bool
imap_arg_get_atom(const struct imap_arg *arg, const char **str_r)
{
	if ((arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL) ||
	    (arg->flags & (IMAP_ARG_FLAG_SECTION | IMAP_ARG_FLAG_PARTIAL)))
		return false;
	*str_r = arg->str;
	return true;
}

bool
imap_arg_is_nil(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_NIL;
}

bool
imap_arg_atom_equals(const struct imap_arg *arg, const char *atom)
{
	const char *s;

	return imap_arg_get_atom(arg, &s) && str_casecmp(s, atom) == 0;
}
