/* The administrator's queue changes (queue_admin.h), moved out of `yubin queue` so that the
 * admin web page does the same thing. */
#include "queue/queue_admin.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/file.h"
#include "util/xmalloc.h"

static const char *const op_names[] = {
	[QUEUE_ADMIN_FLUSH] = "flush",
	[QUEUE_ADMIN_DELETE] = "delete",
	[QUEUE_ADMIN_HOLD] = "hold",
	[QUEUE_ADMIN_RELEASE] = "release",
};

const char *
queue_admin_op_name(enum queue_admin_op op)
{
	return op_names[op];
}

int
queue_admin_op_parse(const char *name, enum queue_admin_op *op_r)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(name, op_names[i]) == 0) {
			*op_r = (enum queue_admin_op)i;
			return 0;
		}
	return -1;
}

bool
queue_admin_qid_valid(const char *qid)
{
	size_t i, n = strlen(qid);

	if (n == 0 || n >= 32)
		return false;
	for (i = 0; i < n; i++)
		if (!((qid[i] >= '0' && qid[i] <= '9') || (qid[i] >= 'A' && qid[i] <= 'Z') ||
		      (qid[i] >= 'a' && qid[i] <= 'z')))
			return false;
	return true;
}

/* The index, or NULL: not there (and not to be created) or not openable (*error_r set). */
static struct queue_db *
queue_admin_open(const char *data_dir, bool create, const char **error_r)
{
	char *dir = xasprintf("%s/queue", data_dir);
	char *path = xasprintf("%s/queue.db", dir);
	struct queue_db *db = NULL;

	*error_r = NULL;
	if (create || file_exists(path))
		db = queue_db_open(dir, error_r);
	free(path);
	free(dir);
	return db;
}

int
queue_admin_change(const char *data_dir, enum queue_admin_op op, const char *qid,
		   const char **error_r)
{
	struct queue_db *db = queue_admin_open(data_dir, op == QUEUE_ADMIN_FLUSH, error_r);
	int found = 1;

	if (db == NULL)
		return *error_r != NULL ? -1 : 0;
	if (queue_db_begin(db) < 0)
		found = -1;
	else if (op == QUEUE_ADMIN_FLUSH)
		found = queue_db_flush(db, time(NULL)) < 0 ? -1 : 1;
	else if (op == QUEUE_ADMIN_DELETE)
		found = !queue_db_exists(db, qid, NULL) ? 0 : queue_db_delete(db, qid) < 0 ? -1 : 1;
	else
		found = queue_db_set_hold(db, qid, op == QUEUE_ADMIN_HOLD);
	if (found < 0 || queue_db_sync_commit(db) < 0) {
		queue_db_rollback(db);
		queue_db_close(&db);
		*error_r = "the queue index could not be changed";
		return -1;
	}
	queue_db_close(&db);
	if (found == 1 && op == QUEUE_ADMIN_DELETE) {
		/* the index no longer names it: the file is an orphan from now on (and a start
		 * would remove it too) */
		char *path = xasprintf("%s/queue/%s", data_dir, qid);
		unlink(path);
		free(path);
	}
	return found;
}

int
queue_admin_list(const char *data_dir, void (*cb)(void *ctx, const struct queue_db_msg *msg),
		 void *ctx, const char **error_r)
{
	struct queue_db *db = queue_admin_open(data_dir, false, error_r);
	int ret;

	if (db == NULL)
		return *error_r != NULL ? -1 : 0;
	ret = queue_db_load(db, NULL, cb, ctx);
	queue_db_close(&db);
	if (ret < 0)
		*error_r = "the queue index could not be read";
	return ret;
}
