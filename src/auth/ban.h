/* Login bans: after `threshold` failed logins from one address within `window` seconds,
 * the address is refused for `ban_time` seconds, by SMTP AUTH, IMAP and POP3 alike (one
 * table, reached through the shared struct penalty: penalty_ban()). What fail2ban is
 * added for elsewhere. An IPv6 client counts by its /64, an IPv4-mapped address as IPv4.
 *
 * The decision is made at login, not at connect: a banned address still gets the greeting
 * and its login is answered with the protocol's temporary failure (454 4.7.0, IMAP NO
 * [UNAVAILABLE], POP3 -ERR [SYS/TEMP]) without a password check. A client that never
 * logs in (port 25) is not affected, and the reply a mail client shows is "try later".
 *
 * Bans are persisted in data_directory/bans.db (db_kv.h) so that a restart keeps them, and
 * the CLI (`yubin ban list|del`) reads and edits that file when no server runs; a running
 * server is asked through the control socket. Tables are bounded (max_entries each). Not
 * thread-safe: the event loop thread only. */
#ifndef AUTH_BAN_H
#define AUTH_BAN_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#define BAN_DB_NAME "bans.db"
#define BAN_KEY_MAX 64

struct ban;
struct db_kv;

/* threshold > 0. kv: where bans are persisted (may be NULL); the ban takes it (closes
 * it in ban_free) and loads its live rows. */
struct ban *ban_new(unsigned threshold, unsigned window_s, unsigned ban_s, size_t max_entries,
		    struct db_kv *kv);
void ban_free(struct ban **b);
/* The table key of sa: "192.0.2.1" or "2001:db8:1:2::/64". -1 for other families. */
int ban_key(const struct sockaddr *sa, char out[BAN_KEY_MAX]);
/* When sa's ban ends, or 0 if it is not banned. */
time_t ban_until(struct ban *b, const struct sockaddr *sa, time_t now);
/* Counts a failed login; true when this failure starts a ban (logged). */
bool ban_fail(struct ban *b, const struct sockaddr *sa, time_t now);
/* Every live ban: key, its end, the failures that caused it. */
void ban_list(struct ban *b, time_t now,
	      void (*fn)(const char *key, time_t until, unsigned failures, void *ctx), void *ctx);
/* Lifts the ban of key (as ban_key gives it, or an address that maps to it) and forgets
 * its failures: 1 if it was banned, 0 if not, -1 if key is not an address. */
int ban_del(struct ban *b, const char *key, time_t now);
/* The key of an address in text ("192.0.2.1", "2001:db8::1", "2001:db8::/64"). -1 if it
 * is not one. */
int ban_key_of_text(const char *text, char out[BAN_KEY_MAX]);

#endif
