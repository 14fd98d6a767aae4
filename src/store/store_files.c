/* Message files and their lifetime: a file may be shared by several rows (COPY), so it is
 * unlinked only when the last row that names it is gone; the name goes to pending_unlink in
 * the same transaction and is unlinked after the commit, so a crash in between leaves a
 * queued name (done at the next open), never an orphan file or a row without its file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"

int
store_files_release(struct store_account *acct, char **files, size_t n)
{
	sqlite3_stmt *ref = db_prepare(acct->db, "SELECT 1 FROM messages WHERE file = ? LIMIT 1");
	sqlite3_stmt *ins = db_prepare(acct->db, "INSERT OR IGNORE INTO pending_unlink (file)"
	                                         " VALUES (?)");
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		int rc;

		sqlite3_reset(ref);
		sqlite3_bind_text(ref, 1, files[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(ref);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(ins);
			sqlite3_bind_text(ins, 1, files[i], -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				ret = -1;
		} else if (rc != SQLITE_ROW) {
			ret = -1;
		}
		free(files[i]);
	}
	free(files);
	sqlite3_finalize(ref);
	sqlite3_finalize(ins);
	return ret;
}

void
store_files_unlink_pending(struct store_account *acct)
{
	sqlite3_stmt *st = db_prepare(acct->db, "SELECT file FROM pending_unlink");
	bool any = false;

	while (sqlite3_step(st) == SQLITE_ROW) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/msg/%s", acct->dir, sqlite3_column_text(st, 0));
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("store: unlink(%s) failed: %s", path, strerror(errno));
		any = true;
	}
	sqlite3_finalize(st);
	if (any)
		db_exec(acct->db, "DELETE FROM pending_unlink");
}
