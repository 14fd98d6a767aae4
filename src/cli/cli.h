/* The admin subcommands (check, user, alias) that main() dispatches to. Each takes the
 * loaded settings and argv starting at the subcommand name ("user", "add", ...), prints
 * its own messages and returns an exit status from <sysexits.h>. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

struct settings;

/* `yubin check`: prints the effective settings (the config was already validated by
 * settings_load() in main; on a load error main prints "FILE:LINE: message" and exits
 * EX_CONFIG, 78). Returns EX_OK, or EX_USAGE on extra arguments. */
int cmd_check(struct settings *s, int argc, char **argv);
/* `yubin user add ADDRESS [--hash] | del ADDRESS | list | passwd ADDRESS [--hash]`;
 * passwords/hashes are read as one line from stdin. */
int cmd_user(struct settings *s, int argc, char **argv);
/* `yubin alias add ALIAS TARGET[,TARGET...] | del ALIAS | list`. */
int cmd_alias(struct settings *s, int argc, char **argv);
/* `yubin dkim keygen DOMAIN [--selector S] | list` (cmd_dkim.c): signing keys under
 * data_directory/dkim/DOMAIN/SELECTOR.pem (0600), their TXT records, and whether DNS
 * (dns_resolvers) serves them. */
int cmd_dkim(struct settings *s, int argc, char **argv);

#endif
