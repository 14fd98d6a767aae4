/* `yubin sendmail` / `sendmail`: reads a message on stdin (Sendmail's command line), adds
 * the headers a message needs (From:, Date:, Message-ID:), and leaves it durably in
 * data_directory/maildrop, where the running server (or the next one) picks it up. */
#include "cli/cli_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf/settings.h"
#include "mail/address.h"
#include "mail/rfc5322.h"
#include "queue/queue_maildrop.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/xmalloc.h"

struct sendmail_opts {
	bool from_headers;     /* -t */
	bool ignore_dots;      /* -i, -oi */
	const char *from;      /* -f, -r; NULL = the invoking user */
	const char *full_name; /* -F */
	char **rcpts;          /* from the command line and (-t) the header */
	size_t n_rcpts, rcpts_cap;
};

static void
sendmail_add_rcpt(struct sendmail_opts *o, const char *rcpt)
{
	o->rcpts = xgrow(o->rcpts, &o->rcpts_cap, o->n_rcpts + 2, sizeof(*o->rcpts));
	o->rcpts[o->n_rcpts++] = xstrdup(rcpt);
	o->rcpts[o->n_rcpts] = NULL;
}

/* An option's argument: attached ("-fuser") or the next word ("-f user"). */
static const char *
sendmail_optarg(int argc, char **argv, int *i)
{
	if (argv[*i][2] != '\0')
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* Sendmail's options, as Postfix's sendmail accepts them; options that only matter to
 * Sendmail (-oX, -B, -N, -R, -V, -v, -bm) are accepted and ignored. */
static int
sendmail_parse_args(struct sendmail_opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *arg = argv[i];
		char c = arg[1];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "-t") == 0) {
			o->from_headers = true;
		} else if (strcmp(arg, "-i") == 0 || strcmp(arg, "-oi") == 0) {
			o->ignore_dots = true;
		} else if (c == 'o' || strcmp(arg, "-v") == 0 || strcmp(arg, "-bm") == 0) {
			continue;
		} else if (c == 'f' || c == 'r' || c == 'F' || c == 'B' || c == 'N' || c == 'R' ||
			   c == 'V') {
			const char *val = sendmail_optarg(argc, argv, &i);
			if (val == NULL) {
				fprintf(stderr, "sendmail: option -%c needs an argument\n", c);
				return -1;
			}
			if (c == 'f' || c == 'r')
				o->from = val;
			else if (c == 'F')
				o->full_name = val;
		} else {
			fprintf(stderr, "sendmail: unsupported option %s\n", arg);
			return -1;
		}
	}
	for (; i < argc; i++)
		sendmail_add_rcpt(o, argv[i]);
	return 0;
}

/* Reads stdin with line ends made CRLF. Without -i a line holding only "." ends it. */
static int
sendmail_read_stdin(const struct sendmail_opts *o, unsigned long long limit, struct buf *msg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n;

		if (line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (!o->ignore_dots && len == 1 && line[0] == '.')
			break;
		buf_append(msg, line, len);
		buf_append(msg, "\r\n", 2);
		if (msg->len > limit) {
			free(line);
			fprintf(stderr, "sendmail: message too big (message_size_limit is %llu)\n",
				limit);
			return EX_DATAERR;
		}
	}
	free(line);
	if (ferror(stdin)) {
		fprintf(stderr, "sendmail: error reading the message: %s\n", strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}

/* A bare local part gets myhostname's domain, as Postfix appends myorigin. NULL if the
 * result is not a valid address. */
static char *
sendmail_qualify(const char *addr, const struct settings *s)
{
	char *out, *lt;

	if ((lt = strchr(addr, '<')) != NULL && strchr(lt, '>') != NULL)
		out = xstrndup(lt + 1, (size_t)(strchr(lt, '>') - lt - 1));
	else
		out = xstrdup(addr);
	str_trim(out);
	if (*out != '\0' && strchr(out, '@') == NULL) {
		char *q = xasprintf("%s@%s", out, s->myhostname);
		free(out);
		out = q;
	}
	if (!address_is_valid(out)) {
		free(out);
		return NULL;
	}
	return out;
}

static void
sendmail_collect_header_rcpts(struct sendmail_opts *o, const struct rfc5322_field *f)
{
	struct rfc5322_addr_list list;
	size_t i;

	memset(&list, 0, sizeof(list));
	rfc5322_addr_list_parse(f->value, f->value_len, &list);
	for (i = 0; i < list.count; i++) {
		const struct rfc5322_addr *a = &list.addrs[i];
		char *addr;

		if (a->mailbox == NULL || a->domain == NULL || a->group_start)
			continue;
		addr = *a->domain ? xasprintf("%s@%s", a->mailbox, a->domain) : xstrdup(a->mailbox);
		sendmail_add_rcpt(o, addr);
		free(addr);
	}
	rfc5322_addr_list_free(&list);
}

static bool
field_is(const struct rfc5322_field *f, const char *name)
{
	return f->has_colon && f->name_len == strlen(name) &&
	       str_ncasecmp(f->name, name, f->name_len) == 0;
}

/* Appends the From:, Date: and Message-ID: fields a message lacks (RFC 5322 3.6). */
static void
sendmail_add_fields(const struct sendmail_opts *o, const struct settings *s, const char *sender,
		    bool has_from, bool has_date, bool has_msgid, struct buf *out)
{
	char date[RFC5322_DATE_MAX], guid[33];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	if (!has_from) {
		if (o->full_name != NULL)
			buf_printf(out, "From: \"%s\" <%s>\r\n", o->full_name, sender);
		else
			buf_printf(out, "From: %s\r\n", *sender ? sender : "MAILER-DAEMON");
	}
	if (!has_date) {
		rfc5322_date_format(now, tm.tm_gmtoff, date);
		buf_printf(out, "Date: %s\r\n", date);
	}
	if (!has_msgid) {
		rand_hex_guid(guid);
		buf_printf(out, "Message-ID: <%s@%s>\r\n", guid, s->myhostname);
	}
}

/* Copies the header to out (without Bcc: under -t, whose recipients are collected with
 * To:'s and Cc:'s), adding the fields that are missing, then the body. Input that does
 * not start with header fields is all body. */
static void
sendmail_fix_header(struct sendmail_opts *o, const struct settings *s, const char *sender,
		    const struct buf *in, struct buf *out)
{
	size_t hsize = rfc5322_header_size(in->data, in->len), body;
	struct rfc5322_header_iter it;
	struct rfc5322_field f;
	bool has_from = false, has_date = false, has_msgid = false;

	body = hsize;
	rfc5322_header_iter_init(&it, in->data, hsize);
	while (rfc5322_header_iter_next(&it, &f)) {
		if (!f.has_colon) {
			body = (size_t)(f.raw - in->data);
			break;
		}
		has_from |= field_is(&f, "From");
		has_date |= field_is(&f, "Date");
		has_msgid |= field_is(&f, "Message-ID");
		if (o->from_headers &&
		    (field_is(&f, "To") || field_is(&f, "Cc") || field_is(&f, "Bcc")))
			sendmail_collect_header_rcpts(o, &f);
		if (o->from_headers && field_is(&f, "Bcc"))
			continue;
		buf_append(out, f.raw, f.raw_len);
	}
	sendmail_add_fields(o, s, sender, has_from, has_date, has_msgid, out);
	buf_append(out, "\r\n", 2);
	/* hsize counts the input's empty line, which the one just written replaces */
	buf_append(out, in->data + body, in->len - body);
}

static char *
sendmail_default_sender(const struct settings *s)
{
	struct passwd *pw = getpwuid(getuid());

	return xasprintf("%s@%s", pw != NULL ? pw->pw_name : "nobody", s->myhostname);
}

/* tmp file, fsync, rename, fsync the directory: durable before we exit 0. */
static int
sendmail_write(const struct settings *s, const struct buf *file)
{
	char *dir = xasprintf("%s/maildrop", s->data_directory);
	char id[17], *tmp, *final;
	int fd, ret = EX_OK;

	if (mkdir(dir, 01733) == 0)
		chmod(dir, 01733);
	rand_queue_id(id);
	tmp = xasprintf("%s/tmp.%s", dir, id);
	final = xasprintf("%s/%s", dir, id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || file_write_full(fd, file->data, file->len) < 0 ||
	    fsync(fd) < 0 || rename(tmp, final) < 0 || file_fsync_dir(dir) < 0) {
		fprintf(stderr, "sendmail: cannot write to %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		ret = EX_TEMPFAIL;
	}
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(final);
	free(dir);
	return ret;
}

/* Qualifies and checks every recipient; EX_DATAERR names the first bad one. */
static int
sendmail_check_rcpts(struct sendmail_opts *o, const struct settings *s)
{
	size_t i;

	if (o->n_rcpts == 0) {
		fprintf(stderr, "sendmail: no recipients given%s\n",
			o->from_headers ? " and none found in the header" : "");
		return EX_USAGE;
	}
	for (i = 0; i < o->n_rcpts; i++) {
		char *q = sendmail_qualify(o->rcpts[i], s);
		if (q == NULL) {
			fprintf(stderr, "sendmail: bad recipient address: %s\n", o->rcpts[i]);
			return EX_DATAERR;
		}
		free(o->rcpts[i]);
		o->rcpts[i] = q;
	}
	return EX_OK;
}

static int
sendmail_sender(const struct sendmail_opts *o, const struct settings *s, char **sender_r)
{
	if (o->from == NULL) {
		*sender_r = sendmail_default_sender(s);
		return EX_OK;
	}
	if (*o->from == '\0' || strcmp(o->from, "<>") == 0) {
		*sender_r = xstrdup("");
		return EX_OK;
	}
	*sender_r = sendmail_qualify(o->from, s);
	if (*sender_r == NULL) {
		fprintf(stderr, "sendmail: bad sender address: %s\n", o->from);
		return EX_DATAERR;
	}
	return EX_OK;
}

int
cmd_sendmail(struct settings *s, int argc, char **argv)
{
	struct sendmail_opts o;
	struct buf in = BUF_INIT, msg = BUF_INIT, file = BUF_INIT;
	char *sender = NULL;
	int ret;

	memset(&o, 0, sizeof(o));
	if (sendmail_parse_args(&o, argc, argv) < 0) {
		fprintf(stderr, "usage: sendmail [-t] [-i] [-f FROM] [-F NAME] [RCPT...]\n");
		ret = EX_USAGE;
		goto out;
	}
	if ((ret = sendmail_sender(&o, s, &sender)) != EX_OK ||
	    (ret = sendmail_read_stdin(&o, s->message_size_limit, &in)) != EX_OK)
		goto out;
	sendmail_fix_header(&o, s, sender, &in, &msg);
	if ((ret = sendmail_check_rcpts(&o, s)) != EX_OK)
		goto out;
	queue_maildrop_format(&file, sender, (const char *const *)o.rcpts);
	buf_append(&file, msg.data, msg.len);
	ret = sendmail_write(s, &file);
out:
	str_array_free(&o.rcpts);
	free(sender);
	buf_free(&in);
	buf_free(&msg);
	buf_free(&file);
	return ret;
}
