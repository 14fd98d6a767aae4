/* An LD_PRELOAD shim for tests: makes the calls that wait for the disk slow, or fail, so a
 * test can show that no session waits for another session's disk work (issue 12: "No disk
 * work on the event loop"), find the waits that still happen on the event loop, and make
 * directory fsyncs fail.
 *
 * Environment (read at every call, so a test may change it between steps only through a
 * file, see YUBIN_SLOWSYNC_CTL):
 *   YUBIN_SLOWSYNC_MS=500     fsync, fdatasync, syncfs and sync_file_range sleep this long
 *   YUBIN_SLOWSYNC_LOG=path   every such call made on the main thread (the event loop) is
 *                             appended to path: the call, the file it syncs, a backtrace
 *   YUBIN_SLOWSYNC_DIR_EIO=n  fsync/fdatasync of a directory fails with EIO: 1 every one,
 *                             n > 1 the n-th and later ones (the first n - 1 succeed;
 *                             counted from when the setting became non-zero)
 *   YUBIN_SLOWSYNC_CTL=path   if set, the three settings are read from this file when it
 *                             exists ("<ms> <dir_eio> <log>", log 1: log to
 *                             YUBIN_SLOWSYNC_LOG), so a test can slow a running process
 *                             down after its start-up, and back
 * Under AddressSanitizer the binary needs ASAN_OPTIONS=verify_asan_link_order=0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct slowsync_conf {
	long ms;
	int dir_eio;
	int log;
};

static void
read_conf(struct slowsync_conf *c)
{
	const char *ctl = getenv("YUBIN_SLOWSYNC_CTL");
	const char *v;

	c->ms = (v = getenv("YUBIN_SLOWSYNC_MS")) != NULL ? atol(v) : 0;
	c->dir_eio = (v = getenv("YUBIN_SLOWSYNC_DIR_EIO")) != NULL ? atoi(v) : 0;
	c->log = getenv("YUBIN_SLOWSYNC_LOG") != NULL;
	if (ctl != NULL) {
		FILE *f = fopen(ctl, "re");

		if (f != NULL) {
			c->ms = 0;
			c->dir_eio = c->log = 0;
			if (fscanf(f, "%ld %d %d", &c->ms, &c->dir_eio, &c->log) < 1)
				c->ms = 0;
			fclose(f);
		}
	}
}

static void
log_main_thread(const char *call, int fd)
{
	const char *path = getenv("YUBIN_SLOWSYNC_LOG");
	char target[512] = "?", link[64];
	void *frames[32];
	ssize_t n;
	int lfd, depth;

	if (path == NULL || syscall(SYS_gettid) != getpid())
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (fd >= 0 && (n = readlink(link, target, sizeof(target) - 1)) > 0)
		target[n] = '\0';
	lfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return;
	dprintf(lfd, "main-thread %s(%s)\n", call, target);
	depth = backtrace(frames, 32);
	backtrace_symbols_fd(frames, depth, lfd);
	dprintf(lfd, "--\n");
	close(lfd);
}

static int dir_syncs; /* directory syncs seen since dir_eio became non-zero */

/* Sleeps as configured; returns -1 with errno EIO when this call must fail. */
static int
slow(const char *call, int fd, int may_fail)
{
	struct slowsync_conf c;
	struct stat st;

	read_conf(&c);
	if (c.log)
		log_main_thread(call, fd);
	if (c.ms > 0) {
		struct timespec ts = {c.ms / 1000, (c.ms % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (c.dir_eio <= 0) {
		__atomic_store_n(&dir_syncs, 0, __ATOMIC_RELAXED);
		return 0;
	}
	if (may_fail && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    __atomic_add_fetch(&dir_syncs, 1, __ATOMIC_RELAXED) >= c.dir_eio) {
		errno = EIO;
		return -1;
	}
	return 0;
}

#define REAL(name) ((__typeof__(name) *)dlsym(RTLD_NEXT, #name))

int
fsync(int fd)
{
	if (slow("fsync", fd, 1) < 0)
		return -1;
	return REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	if (slow("fdatasync", fd, 1) < 0)
		return -1;
	return REAL(fdatasync)(fd);
}

int
syncfs(int fd)
{
	slow("syncfs", fd, 0);
	return REAL(syncfs)(fd);
}

int
sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
	slow("sync_file_range", fd, 0);
	return REAL(sync_file_range)(fd, offset, nbytes, flags);
}
