/* Dropping root: after binding its ports (and for admin commands run as root) yubin
 * becomes run_as_user, and the data directory belongs to that user. */
#ifndef CLI_PRIVS_H
#define CLI_PRIVS_H

struct settings;

/* When running as root and run_as_user names an existing user: makes data_directory
 * (created if missing) owned by that user, then switches uid/gid/groups, each step
 * checked (docs/style.md "Privileges"). When the user does not exist, logs a warning and
 * stays root. 0 ok, -1 with *error_r. */
int privs_drop(const struct settings *s, const char **error_r);

#endif
