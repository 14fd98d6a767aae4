/* `yubin queue list|flush|delete ID|hold ID|release ID`: the outbound queue's index
 * (data_directory/queue/queue.db) read and changed directly; the running server is told
 * over its control socket (data_directory/control.sock, control.h), or with SIGUSR1 to
 * the pid in data_directory/yubin.pid, and re-reads the index. */
#include "cli/cli_queue.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/control.h"
#include "cli/privs.h"
#include "conf/settings.h"
#include "queue/queue_admin.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/str.h"
#include "util/xmalloc.h"

static int
queue_usage(void)
{
	fprintf(stderr, "usage: yubin [-c FILE] queue list | flush | delete ID | hold ID | "
			"release ID\n");
	return EX_USAGE;
}

/* SIGUSR1 to the server, if one runs. true when signalled. */
static bool
queue_signal_pid(const struct settings *s)
{
	char *path = xasprintf("%s/yubin.pid", s->data_directory);
	struct buf b = BUF_INIT;
	unsigned long long pid = 0;
	bool ok = false;

	if (file_read_all(path, &b) == 0 && b.len > 0) {
		str_trim(b.data);
		if (str_to_u64(b.data, &pid) == 0 && pid > 1 && pid < 1u << 30)
			ok = kill((pid_t)pid, SIGUSR1) == 0;
	}
	buf_free(&b);
	free(path);
	return ok;
}

/* Tells the running server to re-read the index and retry now: over the control socket
 * (control.h), or with SIGUSR1 to the pid in yubin.pid when no socket answers (a server
 * of an older version). true when a server was told. */
static bool
queue_signal_server(const struct settings *s)
{
	struct buf reply = BUF_INIT;
	const char *error;
	bool no_server;
	int code = control_request(s->data_directory, "queue flush", &reply, &no_server, &error);

	buf_free(&reply);
	if (code >= 0)
		return code / 100 == 2;
	return queue_signal_pid(s);
}

static void
format_age(time_t age, char *out, size_t size)
{
	if (age < 120)
		snprintf(out, size, "%lds", (long)age);
	else if (age < 7200)
		snprintf(out, size, "%ldm", (long)age / 60);
	else if (age < 2 * 86400)
		snprintf(out, size, "%ldh", (long)age / 3600);
	else
		snprintf(out, size, "%ldd", (long)age / 86400);
}

static void
queue_list_msg(void *ctx, const struct queue_db_msg *m)
{
	size_t *count = ctx, i;
	char age[32];

	format_age(time(NULL) - m->arrival, age, sizeof(age));
	printf("%-16s %5s %9llu  <%s>%s\n", m->qid, age, m->size, m->sender,
	       m->hold ? "  (held)" : "");
	for (i = 0; i < m->n_rcpts; i++) {
		const struct queue_db_rcpt *r = &m->rcpts[i];
		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		printf("    <%s>%s", r->address, r->local ? " (local)" : "");
		if (r->last_error != NULL)
			printf("  (%s; %u attempts)", r->last_error, r->attempts);
		printf("\n");
	}
	(*count)++;
}

static int
queue_list(const struct settings *s)
{
	size_t count = 0;
	const char *error;

	printf("%-16s %5s %9s  %s\n", "ID", "Age", "Size", "Sender / pending recipients");
	if (queue_admin_list(s->data_directory, queue_list_msg, &count, &error) < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_SOFTWARE;
	}
	if (count == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %zu message%s\n", count, count == 1 ? "" : "s");
	return EX_OK;
}

/* The change itself is queue_admin.c's (shared with the admin web page). */
static int
queue_change(const struct settings *s, enum queue_admin_op op, const char *qid)
{
	const char *what = queue_admin_op_name(op), *error;
	int found = queue_admin_change(s->data_directory, op, qid, &error);

	if (found < 0) {
		fprintf(stderr, "yubin: queue %s failed: %s\n", what, error);
		return EX_SOFTWARE;
	}
	if (found == 0) {
		fprintf(stderr, "yubin: %s: no such message in the queue\n",
			qid != NULL ? qid : "");
		return EX_NOINPUT;
	}
	if (queue_signal_server(s))
		printf("%s%s%s: done, the server was told\n", what, qid ? " " : "", qid ? qid : "");
	else
		printf("%s%s%s: done (no server running; it applies at the next start)\n", what,
		       qid ? " " : "", qid ? qid : "");
	return EX_OK;
}

int
cmd_queue(struct settings *s, int argc, char **argv)
{
	enum queue_admin_op op;
	const char *error;

	if (argc < 2)
		return queue_usage();
	if (geteuid() == 0 && privs_drop(s, &error) < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_NOPERM;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		return queue_list(s);
	if (strcmp(argv[1], "flush") == 0 && argc == 2)
		return queue_change(s, QUEUE_ADMIN_FLUSH, NULL);
	if (queue_admin_op_parse(argv[1], &op) == 0 && op != QUEUE_ADMIN_FLUSH && argc == 3) {
		if (!queue_admin_qid_valid(argv[2])) {
			fprintf(stderr, "yubin: %s: not a queue id\n", argv[2]);
			return EX_DATAERR;
		}
		return queue_change(s, op, argv[2]);
	}
	return queue_usage();
}
