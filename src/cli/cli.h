/* The admin subcommands (check, user, alias) that main() dispatches to. Each takes the
 * loaded settings and argv starting at the subcommand name ("user", "add", ...), prints
 * its own messages and returns an exit status from <sysexits.h>. */
#ifndef CLI_CLI_H
#define CLI_CLI_H
#include <stddef.h>

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
/* `dkim keygen`'s work, also done by quickstart: an ed25519 (BASE-ed) and an rsa-2048
 * (BASE-rsa) key for domain, all or nothing, and their records printed as zone-file lines.
 * Privileges are already dropped. Returns an exit status. */
int cmd_dkim_keygen(const struct settings *s, const char *domain, const char *base);
/* `yubin quickstart ADDRESS [--hostname H] [--config PATH] [--data-dir DIR] [--ip A]
 * [--ip6 A]` (cmd_quickstart.c): runs without a config (it writes one; config is the
 * -c / $YUBIN_CONFIG / default path, --config overrides). */
int cmd_quickstart(const char *config, int argc, char **argv);
/* `yubin dnscheck` (cmd_dnscheck.c): the records quickstart prints, looked up through
 * dns_resolvers and judged line by line. EX_OK when nothing required is missing or
 * wrong, 1 otherwise. */
int cmd_dnscheck(struct settings *s, int argc, char **argv);
/* `yubin status` (cmd_status.c): the running server's summary over the control socket. */
int cmd_status(struct settings *s, int argc, char **argv);
/* `yubin reload` (cmd_status.c): the running server loads its config again (as SIGHUP). */
int cmd_reload(struct settings *s, int argc, char **argv);
/* `yubin ban list | del ADDRESS` (cmd_ban.c): the login bans, through the control socket
 * or, without a server, data_directory/bans.db. */
int cmd_ban(struct settings *s, int argc, char **argv);

#endif
