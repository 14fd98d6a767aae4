/* The maildrop pickup (see queue_pickup.h): inotify on the directory, a scan at start and
 * every minute, one queue submission per file, the file removed once the queue has it. */
#include "queue/queue_pickup.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "mail/rfc5322.h"
#include "mailauth/dkim_keyring.h"
#include "queue/queue_maildrop.h"
#include "queue/queue_pickup_private.h"
#include "queue/queue_private.h"
#include "util/file.h"
#include "util/rand.h"
#include "util/str.h"
#include "util/strmap.h"
#include "util/xmalloc.h"

#define PICKUP_RESCAN_SECONDS 60

struct queue_pickup {
	struct queue *q;
	char *dir;
	int inotify_fd;
	struct event *inotify_ev, *rescan_ev;
	struct strmap *inflight; /* file names being queued */
	unsigned n_inflight;
	bool closed;                     /* freed by its owner: the last submission frees it */
	struct pickup_submit *filtering; /* the files with the milters (a list) */
};

struct pickup_submit **
pickup_filtering(struct queue_pickup *p)
{
	return &p->filtering;
}

static void
pickup_destroy(struct queue_pickup *p)
{
	strmap_free(&p->inflight);
	free(p->dir);
	free(p);
}

void
pickup_submitted(void *ctx, int result, const char *error)
{
	struct pickup_submit *ps = ctx;
	struct queue_pickup *p = ps->p;
	char *path = xasprintf("%s/%s", p->dir, ps->name);

	if (result == 0) {
		if (unlink(path) < 0)
			log_error("queue: pickup: unlink(%s) failed: %s", path, strerror(errno));
	} else {
		log_error("queue: pickup: %s not queued: %s", ps->name, error);
	}
	free(path);
	strmap_set(p->inflight, ps->name, NULL);
	p->n_inflight--;
	free(ps->name);
	free(ps);
	if (p->closed && p->n_inflight == 0)
		pickup_destroy(p);
}

/* Resolved envelope recipients: local accounts (aliases expanded) and remote addresses;
 * an unknown local address stays as it is and bounces at delivery. -1 on a lookup error. */
int
pickup_resolve(struct queue *q, char *const *rcpts, struct queue_db_rcpt **out_r, size_t *n_r)
{
	struct queue_db_rcpt *out = NULL;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; rcpts[i] != NULL; i++) {
		char **local = NULL, **remote = NULL;
		int ret = accounts_resolve(q->deps.accounts, rcpts[i], &local, &remote);

		if (ret < 0) {
			free(out);
			return -1;
		}
		out = xgrow(out, &cap,
			    n + 1 + (ret > 0 ? str_array_len(local) + str_array_len(remote) : 0),
			    sizeof(*out));
		if (ret == 0) {
			out[n].address = xstrdup(rcpts[i]);
			out[n++].local = true;
			continue;
		}
		for (j = 0; local[j] != NULL; j++) {
			out[n].address = local[j];
			out[n++].local = true;
		}
		for (j = 0; remote[j] != NULL; j++) {
			out[n].address = remote[j];
			out[n++].local = false;
		}
		free(local);
		free(remote);
	}
	*out_r = out;
	*n_r = n;
	return 0;
}

static void
pickup_move_aside(struct queue_pickup *p, const char *name, const char *why)
{
	char *from = xasprintf("%s/%s", p->dir, name);
	char *to = xasprintf("%s/corrupt.%s", p->dir, name);

	log_error("queue: pickup: %s: %s; moved to %s", name, why, to);
	if (rename(from, to) < 0)
		unlink(from);
	free(from);
	free(to);
}

/* The file's name is the sendmail's queue id; a name anyone could have chosen is used
 * only when it looks like one (it becomes a file name in the spool). */
static void
pickup_qid(const char *name, char qid[32])
{
	size_t i, n = strlen(name);

	for (i = 0; i < n && n < 32; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'A' && name[i] <= 'F')))
			break;
	if (n == 0 || i < n)
		rand_queue_id(qid);
	else
		memcpy(qid, name, n + 1);
}

/* RFC 5321 4.4: our trace header for mail that did not come over SMTP. */
static void
pickup_received(struct queue *q, uid_t uid, const char *qid, struct buf *out)
{
	char date[RFC5322_DATE_MAX];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	rfc5322_date_format(now, tm.tm_gmtoff, date);
	buf_printf(out, "Received: by %s (yubin, from userid %u)\r\n\tid %s; %s\r\n",
		   q->deps.settings->myhostname, (unsigned)uid, qid, date);
}

/* Local mail is our users' mail: DKIM-signed like authenticated submission (docs/dkim.md),
 * the signature fields above our Received: as in SMTP. */
static void
pickup_dkim_sign(struct queue *q, const char *qid, const struct buf *body, struct buf *prefix)
{
	struct buf sig = BUF_INIT;
	const char *error = NULL;
	char domain[256];
	int ret;

	if (!q->deps.settings->dkim_sign)
		return;
	ret = dkim_keyring_sign_ours(q->deps.dkim, q->deps.settings->mydomains, body->data,
				     body->len, time(NULL), &sig, domain, &error);
	if (ret < 0)
		log_warn("queue: %s: not DKIM-signed for %s: %s", qid, domain, error);
	if (ret > 0) {
		buf_append(&sig, prefix->data, prefix->len);
		buf_free(prefix);
		*prefix = sig;
	} else {
		buf_free(&sig);
	}
}

void
pickup_queue(struct queue *q, struct pickup_submit *ps, const char *sender,
	     const struct queue_db_rcpt *rcpts, size_t n, const struct buf *msg)
{
	struct buf prefix = BUF_INIT, body = BUF_INIT;

	buf_append(&body, msg->data, msg->len);
	pickup_received(q, ps->uid, ps->qid, &prefix);
	pickup_dkim_sign(q, ps->qid, &body, &prefix);
	queue_submit_rcpts(q, ps->qid, sender, rcpts, n, prefix.data, prefix.len, body.data,
			   body.len, pickup_submitted, ps);
	buf_free(&body);
	buf_free(&prefix);
}

static void
pickup_file(struct queue_pickup *p, const char *name)
{
	char *path = xasprintf("%s/%s", p->dir, name);
	struct buf data = BUF_INIT, body = BUF_INIT;
	struct queue_maildrop md;
	struct queue_db_rcpt *rcpts = NULL;
	struct pickup_submit *ps;
	size_t n = 0, i;
	const char *error;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || file_read_all(path, &data) < 0) {
		free(path);
		buf_free(&data);
		return;
	}
	free(path);
	if (queue_maildrop_parse(data.data, data.len, &md, &error) < 0) {
		pickup_move_aside(p, name, error);
		buf_free(&data);
		return;
	}
	if (pickup_resolve(p->q, md.rcpts, &rcpts, &n) < 0) {
		log_warn("queue: pickup: %s: recipient lookup failed, will retry", name);
		queue_maildrop_clear(&md);
		buf_free(&data);
		return;
	}
	ps = xcalloc(1, sizeof(*ps));
	ps->p = p;
	ps->q = p->q;
	ps->name = xstrdup(name);
	ps->uid = st.st_uid;
	strmap_set(p->inflight, name, ps);
	p->n_inflight++;
	pickup_qid(name, ps->qid);
	log_info("queue: %s: pickup from=<%s> uid=%u nrcpt=%zu", ps->qid, md.sender,
		 (unsigned)st.st_uid, n);
	/* the file is untrusted: every line end becomes CRLF */
	queue_maildrop_crlf(&body, md.msg, md.msg_len);
	if (!pickup_milter_start(p->q, ps, md.sender, md.rcpts, &body))
		pickup_queue(p->q, ps, md.sender, rcpts, n, &body);
	buf_free(&body);
	for (i = 0; i < n; i++)
		free(rcpts[i].address);
	free(rcpts);
	queue_maildrop_clear(&md);
	buf_free(&data);
}

static void
pickup_scan(struct queue_pickup *p)
{
	DIR *dir = opendir(p->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (dir == NULL)
		return;
	/* names first: pickup_file may change the directory */
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, "tmp.", 4) == 0 ||
		    strncmp(de->d_name, "corrupt.", 8) == 0 ||
		    strmap_get(p->inflight, de->d_name) != NULL)
			continue;
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	for (i = 0; i < n; i++) {
		pickup_file(p, names[i]);
		free(names[i]);
	}
	free(names);
}

static void
pickup_on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct queue_pickup *p = arg;
	char buf[4096];

	/* the events only say "look": drain them and scan */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pickup_scan(p);
}

static void
pickup_on_rescan(evutil_socket_t fd, short what, void *arg)
{
	pickup_scan(arg);
}

struct queue_pickup *
queue_pickup_new(struct queue *q, const char **error_r)
{
	struct queue_pickup *p = xcalloc(1, sizeof(*p));
	struct timeval tv = {PICKUP_RESCAN_SECONDS, 0};
	struct stat st;

	p->q = q;
	p->dir = xasprintf("%s/maildrop", q->deps.settings->data_directory);
	p->inflight = strmap_new();
	/* anyone may drop mail in; nobody but us may list or read it (like /tmp, without
	 * the listing) */
	if (mkdir(p->dir, 01733) == 0 || (stat(p->dir, &st) == 0 && st.st_uid == geteuid()))
		chmod(p->dir, 01733);
	p->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p->inotify_fd < 0 ||
	    inotify_add_watch(p->inotify_fd, p->dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		*error_r = "cannot watch data_directory/maildrop (inotify)";
		if (p->inotify_fd >= 0)
			close(p->inotify_fd);
		pickup_destroy(p);
		return NULL;
	}
	p->inotify_ev =
		event_new(q->deps.base, p->inotify_fd, EV_READ | EV_PERSIST, pickup_on_inotify, p);
	event_add(p->inotify_ev, NULL);
	p->rescan_ev = event_new(q->deps.base, -1, EV_PERSIST, pickup_on_rescan, p);
	event_add(p->rescan_ev, &tv);
	pickup_scan(p);
	return p;
}

void
queue_pickup_free(struct queue_pickup **pp)
{
	struct queue_pickup *p = *pp;

	if (p == NULL)
		return;
	*pp = NULL;
	event_free(p->inotify_ev);
	event_free(p->rescan_ev);
	close(p->inotify_fd);
	/* messages still with the milters stay in the maildrop for the next start */
	while (p->filtering != NULL)
		pickup_milter_cancel(p->filtering);
	p->closed = true;
	if (p->n_inflight == 0)
		pickup_destroy(p);
}
