/* Durable file writes, done one way only (docs/style.md "Durable writes"): write to a temporary
 * name, fsync, rename into place, fsync the directory. And small file helpers. */
#ifndef UTIL_FILE_H
#define UTIL_FILE_H
#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Writes data to path atomically and durably. With sync false the same rename dance is
 * done without the fsyncs (for files whose durability something else guarantees, e.g.
 * the store's journal). 0 ok, -1 with *error_r set (static or thread-local text). */
int file_write_atomic(const char *path, const void *data, size_t len, bool sync,
		      const char **error_r);
/* fsync() of the directory that holds path (or of path itself if it is a directory). */
int file_fsync_dir(const char *path);
/* Reads a whole file into b (appending). 0 ok, -1 errno set. */
int file_read_all(const char *path, struct buf *b);
/* mkdir -p with the given mode. 0 ok, -1 errno set. */
int file_mkdir_p(const char *path, int mode);
/* write() all of it, retrying on EINTR / short writes. 0 ok, -1 errno set. */
int file_write_full(int fd, const void *data, size_t len);
bool file_exists(const char *path);

#endif
