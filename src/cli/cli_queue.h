/* The mail queue's subcommands: `yubin queue ...` (administration of the outbound queue)
 * and `yubin sendmail` (the Sendmail-compatible interface for cron, PHP's mail() and
 * scripts; main() also calls it when the binary is invoked as "sendmail"). argv starts at
 * "queue" / "sendmail"; the return value is an exit status from <sysexits.h>.
 *
 * Permissions: `queue` needs the server's data directory (run it as root, which switches
 * to run_as_user, or as that user). `sendmail` may run as any user: it only drops a file
 * into data_directory/maildrop (mode 1733), which the server picks up at once. */
#ifndef CLI_CLI_QUEUE_H
#define CLI_CLI_QUEUE_H

struct settings;

/* `yubin queue list | flush | delete ID | hold ID | release ID`. flush/delete/hold/release
 * signal the running server (SIGUSR1 to data_directory/yubin.pid), which re-reads the
 * queue index and retries deferred mail now; without a server they take effect at its
 * next start. */
int cmd_queue(struct settings *s, int argc, char **argv);
/* `sendmail [-t] [-i|-oi] [-f FROM] [-F NAME] [RCPT...]`: reads a message on stdin and
 * leaves it in the maildrop. -t takes recipients from To:/Cc:/Bcc: (Bcc: is removed) in
 * addition to those given. Without -i a line with a single "." ends the message. Exit:
 * EX_OK, EX_USAGE (bad option, no recipients), EX_DATAERR (bad address, too big),
 * EX_TEMPFAIL (cannot write the maildrop), EX_IOERR (reading stdin). */
int cmd_sendmail(struct settings *s, int argc, char **argv);

#endif
