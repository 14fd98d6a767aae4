/* Privilege drop to run_as_user (see privs.h). */
#include "cli/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "conf/settings.h"
#include "log/log.h"
#include "util/file.h"

static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (st->st_uid != chown_uid && lchown(path, chown_uid, chown_gid) < 0)
		log_warn("privs: chown(%s) failed: %s", path, strerror(errno));
	return 0;
}

int
privs_drop(const struct settings *s, const char **error_r)
{
	static char error[512];
	struct passwd *pw;
	struct stat st;

	if (geteuid() != 0 || s->run_as_user == NULL || *s->run_as_user == '\0')
		return 0;
	pw = getpwnam(s->run_as_user);
	if (pw == NULL) {
		log_warn("privs: run_as_user %s does not exist: running as root (create the user "
			 "or set run_as_user to silence this)",
			 s->run_as_user);
		return 0;
	}
	if (file_mkdir_p(s->data_directory, 0750) < 0) {
		snprintf(error, sizeof(error), "mkdir(%s) failed: %s", s->data_directory,
			 strerror(errno));
		*error_r = error;
		return -1;
	}
	/* files an admin command made as root must stay usable by the server */
	if (stat(s->data_directory, &st) == 0) {
		chown_uid = pw->pw_uid;
		chown_gid = pw->pw_gid;
		nftw(s->data_directory, chown_entry, 32, FTW_PHYS);
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(error, sizeof(error), "cannot switch to user %s: %s", s->run_as_user,
			 strerror(errno));
		*error_r = error;
		return -1;
	}
	return 0;
}

int
privs_open_accounts(const struct settings *s, struct accounts **a_r)
{
	const char *error;

	if (privs_drop(s, &error) < 0) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_NOPERM;
	}
	if ((*a_r = accounts_open(s, &error)) == NULL) {
		fprintf(stderr, "yubin: %s\n", error);
		return EX_IOERR;
	}
	return EX_OK;
}
