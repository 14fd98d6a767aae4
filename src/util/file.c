/* Durable file writes and small file helpers (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xmalloc.h"

static __thread char file_error[PATH_MAX + 128];

int
file_write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_fsync_dir(const char *path)
{
	struct stat st;
	char *dir;
	int fd, ret;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = xstrdup(path);
	} else {
		const char *slash = strrchr(path, '/');
		dir = slash == NULL ? xstrdup(".") : xstrndup(path, (size_t)(slash - path));
		if (*dir == '\0') {
			free(dir);
			dir = xstrdup("/");
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

int
file_write_atomic(const char *path, const void *data, size_t len, bool sync, const char **error_r)
{
	char tmp[PATH_MAX];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		*error_r = "path too long";
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(file_error, sizeof(file_error), "open(%s) failed: %s", tmp,
			 strerror(errno));
		*error_r = file_error;
		return -1;
	}
	if (file_write_full(fd, data, len) < 0 || (sync && fdatasync(fd) < 0)) {
		snprintf(file_error, sizeof(file_error), "write(%s) failed: %s", tmp,
			 strerror(errno));
		close(fd);
		unlink(tmp);
		*error_r = file_error;
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		snprintf(file_error, sizeof(file_error), "rename(%s, %s) failed: %s", tmp, path,
			 strerror(errno));
		unlink(tmp);
		*error_r = file_error;
		return -1;
	}
	if (sync && file_fsync_dir(path) < 0) {
		snprintf(file_error, sizeof(file_error), "fsync(dir of %s) failed: %s", path,
			 strerror(errno));
		*error_r = file_error;
		return -1;
	}
	return 0;
}

int
file_read_all(const char *path, struct buf *b)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		buf_append(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int
file_mkdir_p(const char *path, int mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

bool
file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
