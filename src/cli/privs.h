/* Dropping root: after binding its ports (and for admin commands run as root) yubin
 * becomes run_as_user, and the data directory belongs to that user. */
#ifndef CLI_PRIVS_H
#define CLI_PRIVS_H

struct accounts;
struct settings;

/* When running as root and run_as_user names an existing user: makes data_directory
 * (created if missing) owned by that user, then switches uid/gid/groups, each step
 * checked (docs/style.md "Privileges"). When the user does not exist, logs a warning and
 * stays root. 0 ok, -1 with *error_r. */
int privs_drop(const struct settings *s, const char **error_r);
/* For the admin commands (user, alias), run as root or not: privs_drop() so that serve
 * can use what is created, then accounts_open(). EX_OK with *a_r set, or EX_NOPERM /
 * EX_IOERR after printing the error. */
int privs_open_accounts(const struct settings *s, struct accounts **a_r);

#endif
