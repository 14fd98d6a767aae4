/* Recovery at open: every complete, checksummed record in the journal files is applied
 * unless it was cancelled or is already in its account's delivered table (then its file
 * is rewritten in place, in case a power loss lost the unsynced bytes); a torn tail ends
 * a file. Then one syncfs() makes it all durable and the old journal files go. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "log/log.h"
#include "store/store_private.h"
#include "util/xmalloc.h"

struct replay {
	struct store *store;
	uint64_t *nums;
	size_t n_nums;
	uint8_t (*cancelled)[STORE_RECORD_ID_LEN];
	size_t n_cancelled, cap_cancelled;
	size_t applied, repaired;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, STORE_RECORD_ID_LEN);
}

static int
list_files(struct replay *r)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(r->store->journal_dir);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long num = strtoull(de->d_name, &end, 16);

		if (strlen(de->d_name) != 20 || strcmp(end, ".jnl") != 0)
			continue;
		r->nums = xgrow(r->nums, &cap, r->n_nums + 1, sizeof(*r->nums));
		r->nums[r->n_nums++] = num;
	}
	closedir(d);
	if (r->n_nums > 1)
		qsort(r->nums, r->n_nums, sizeof(*r->nums), cmp_u64);
	return 0;
}

static int
apply_one(struct replay *r, struct store_rec *rec, uint64_t jnum, size_t ti, const char **error_r)
{
	struct store_apply_result res = {0};
	struct store_account *acct;
	int ret;

	acct = store_account_open(r->store, rec->targets[ti].account, error_r);
	if (acct == NULL) {
		log_warn("store: replay: skipping a target in %s: %s", rec->targets[ti].account,
			 *error_r);
		return 0;
	}
	if (db_begin(acct->db) < 0) {
		store_account_unref(&acct);
		*error_r = "index busy";
		return -1;
	}
	store_apply_prune(acct);
	ret = store_apply_repair(acct, rec, ti, error_r);
	if (ret == 0) {
		ret = store_apply_target(acct, rec, ti, jnum, NULL, false, &res, error_r);
		if (ret < 0 && acct->errcode == STORE_ERR_NONEXISTENT) {
			/* an append whose mailbox is gone: like any append to it, it fails */
			log_warn("store: replay: append to a deleted mailbox in %s dropped",
				 acct->name);
			ret = 0;
		} else if (ret == 0) {
			r->applied++;
		}
	} else if (ret > 0) {
		r->repaired++;
	}
	if (ret < 0 || db_commit(acct->db) < 0) {
		db_rollback(acct->db);
		ret = -1;
		*error_r = "cannot apply the journal";
	}
	free(res.mailbox);
	store_account_unref(&acct);
	return ret < 0 ? -1 : 0;
}

/* Calls fn for every valid record of journal file num. */
static int
walk_file(struct replay *r, uint64_t num,
	  int (*fn)(struct replay *, struct store_rec *, uint64_t, const char **),
	  const char **error_r)
{
	char *path = store_journal_path(r->store, num);
	struct stat st;
	void *map = NULL;
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		*error_r = "cannot read the journal";
		return -1;
	}
	if (st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*error_r = "cannot map the journal";
		return -1;
	}
	while (ret == 0 && off < (size_t)st.st_size) {
		struct store_rec rec;
		size_t len;
		int pr =
			store_record_parse((char *)map + off, (size_t)st.st_size - off, &rec, &len);

		if (pr <= 0) {
			log_warn("store: journal %016llx: %s at offset %zu, ignoring the rest",
				 (unsigned long long)num, pr == 0 ? "torn record" : "bad record",
				 off);
			break;
		}
		ret = fn(r, &rec, num, error_r);
		store_record_free(&rec);
		off += len;
	}
	if (map != NULL)
		munmap(map, (size_t)st.st_size);
	return ret;
}

static int
collect_cancel(struct replay *r, struct store_rec *rec, uint64_t jnum, const char **error_r)
{
	(void)jnum;
	(void)error_r;
	if (rec->type != STORE_RECORD_CANCEL)
		return 0;
	r->cancelled =
		xgrow(r->cancelled, &r->cap_cancelled, r->n_cancelled + 1, sizeof(*r->cancelled));
	memcpy(r->cancelled[r->n_cancelled++], rec->id, STORE_RECORD_ID_LEN);
	return 0;
}

static int
apply_record(struct replay *r, struct store_rec *rec, uint64_t jnum, const char **error_r)
{
	if (rec->type == STORE_RECORD_CANCEL ||
	    (r->n_cancelled > 0 &&
	     bsearch(rec->id, r->cancelled, r->n_cancelled, STORE_RECORD_ID_LEN, cmp_id) != NULL))
		return 0;
	for (size_t ti = 0; ti < rec->n_targets; ti++) {
		if (apply_one(r, rec, jnum, ti, error_r) < 0)
			return -1;
	}
	return 0;
}

int
store_replay(struct store *store, const char **error_r)
{
	struct replay r = {.store = store};
	int ret = 0;

	if (list_files(&r) < 0) {
		*error_r = "cannot list the journal directory";
		return -1;
	}
	store->next_jnum = r.n_nums > 0 ? r.nums[r.n_nums - 1] + 1 : 1;
	for (size_t i = 0; i < r.n_nums && ret == 0; i++)
		ret = walk_file(&r, r.nums[i], collect_cancel, error_r);
	if (r.n_cancelled > 0)
		qsort(r.cancelled, r.n_cancelled, STORE_RECORD_ID_LEN, cmp_id);
	for (size_t i = 0; i < r.n_nums && ret == 0; i++)
		ret = walk_file(&r, r.nums[i], apply_record, error_r);
	if (ret == 0 && (r.applied > 0 || r.repaired > 0))
		log_info("store: journal replay: %zu applied, %zu already there", r.applied,
			 r.repaired);
	if (ret == 0)
		ret = store_journal_open(store, error_r);
	/* what the replay wrote must be durable before the old journal files go */
	if (ret == 0 && r.n_nums > 0) {
		if (store_sync_syncfs_inline(store) < 0) {
			*error_r = "syncfs failed";
			ret = -1;
		} else {
			char **paths = xmalloc(r.n_nums * sizeof(char *));

			for (size_t i = 0; i < r.n_nums; i++)
				paths[i] = store_journal_path(store, r.nums[i]);
			if (store_journal_unlink(store->journal_dir_fd, paths, r.n_nums) < 0) {
				*error_r = "cannot sync the journal directory";
				ret = -1;
			}
			for (size_t i = 0; i < r.n_nums; i++)
				free(paths[i]);
			free(paths);
		}
	}
	store->oldest_jnum = store->next_jnum - 1;
	free(r.nums);
	free(r.cancelled);
	return ret;
}
