/* The journal files (src/store/README.md "Journal"): journal/<16 hex>.jnl, append-only,
 * one record per delivery or append. Writes happen on the loop thread with pwritev(); a
 * failed write is cut off again with ftruncate() (or, failing that, the file is abandoned
 * for a new one) so a valid journal never has garbage before a valid record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log/log.h"
#include "store/store_private.h"
#include "util/buf.h"
#include "util/xmalloc.h"

char *
store_journal_path(const struct store *store, uint64_t num)
{
	return xasprintf("%s/%016llx.jnl", store->journal_dir, (unsigned long long)num);
}

int
store_journal_create(const char *journal_dir, int journal_dir_fd, uint64_t num)
{
	char *path = xasprintf("%s/%016llx.jnl", journal_dir, (unsigned long long)num);
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	/* its directory entry is durable before any record goes in */
	if (fd >= 0 && fsync(journal_dir_fd) < 0) {
		err = errno;
		close(fd);
		unlink(path);
		errno = err;
		fd = -1;
	}
	if (fd < 0)
		log_error("store: cannot create journal %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

void
store_journal_add(struct store *store, uint64_t num, int fd)
{
	struct store_jfile *jf = xcalloc(1, sizeof(*jf)), **tail;

	jf->num = num;
	jf->fd = fd;
	for (tail = &store->jfiles; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = jf;
}

int
store_journal_rotate(struct store *store, const char **error_r)
{
	int fd = store_journal_create(store->journal_dir, store->journal_dir_fd, store->next_jnum);

	if (fd < 0) {
		*error_r = "cannot create a journal file";
		return -1;
	}
	store_journal_add(store, store->next_jnum++, fd);
	return 0;
}

int
store_journal_open(struct store *store, const char **error_r)
{
	return store_journal_rotate(store, error_r);
}

static struct store_jfile *
current(const struct store *store)
{
	struct store_jfile *jf = store->jfiles;

	while (jf != NULL && jf->next != NULL)
		jf = jf->next;
	return jf;
}

uint64_t
store_journal_size(const struct store *store)
{
	struct store_jfile *jf = current(store);

	return jf == NULL ? 0 : jf->size;
}

static int
write_all_at(int fd, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwritev(fd, iov, n, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
store_journal_write(struct store *store, const struct store_rec *rec, uint64_t *seq_r,
		    const char **error_r)
{
	struct store_jfile *jf = current(store);
	struct buf head = BUF_INIT;
	struct iovec iov[2];
	int n = 1, ret = 0;

	if (!store->primary || jf == NULL) {
		*error_r = "the store is owned by another process";
		return -1;
	}
	store_record_encode(rec, &head);
	iov[0].iov_base = head.data;
	iov[0].iov_len = head.len;
	if (rec->type != STORE_RECORD_CANCEL && rec->msg_len > 0) {
		iov[1].iov_base = (void *)rec->msg;
		iov[1].iov_len = rec->msg_len;
		n = 2;
	}
	if (write_all_at(jf->fd, iov, n, (off_t)jf->size) < 0) {
		log_error("store: journal write failed: %s", strerror(errno));
		*error_r = errno == ENOSPC ? "disk full" : "journal write failed";
		/* cut the torn record off; if that fails too, leave this file for a new one */
		if (ftruncate(jf->fd, (off_t)jf->size) < 0) {
			const char *err;

			if (store_journal_rotate(store, &err) < 0)
				log_error("store: %s", err);
		}
		ret = -1;
	} else {
		jf->size += head.len + (n == 2 ? rec->msg_len : 0);
		jf->last_seq = *seq_r = store->next_seq++;
		store->n_records++;
		store->dirty = true;
	}
	buf_free(&head);
	return ret;
}

char **
store_journal_retire_paths(const struct store *store, uint64_t below, size_t *n_r)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;

	for (struct store_jfile *jf = store->jfiles; jf != NULL; jf = jf->next) {
		if (jf->num < below && jf->next != NULL) {
			paths = xgrow(paths, &cap, n + 1, sizeof(char *));
			paths[n++] = store_journal_path(store, jf->num);
		}
	}
	*n_r = n;
	return paths;
}

int
store_journal_unlink(int journal_dir_fd, char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (unlink(paths[i]) < 0 && errno != ENOENT)
			log_warn("store: unlink(%s) failed: %s", paths[i], strerror(errno));
	/* until the directory is synced the files may come back after a crash (and their
	 * records be replayed again once their delivered rows are pruned) */
	if (n > 0 && fsync(journal_dir_fd) < 0) {
		log_error("store: fsync of the journal directory failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
store_journal_forget(struct store *store, uint64_t below)
{
	struct store_jfile **p = &store->jfiles;

	while (*p != NULL) {
		struct store_jfile *jf = *p;

		if (jf->num < below && jf->next != NULL) {
			close(jf->fd);
			*p = jf->next;
			free(jf);
		} else {
			p = &jf->next;
		}
	}
}

int
store_journal_retire(struct store *store, uint64_t below)
{
	size_t n;
	char **paths = store_journal_retire_paths(store, below, &n);
	int ret = store_journal_unlink(store->journal_dir_fd, paths, n);

	if (ret == 0)
		store_journal_forget(store, below);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return ret;
}

void
store_journal_close(struct store *store)
{
	while (store->jfiles != NULL) {
		struct store_jfile *jf = store->jfiles;

		store->jfiles = jf->next;
		close(jf->fd);
		free(jf);
	}
}
