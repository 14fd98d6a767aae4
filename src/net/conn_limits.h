/* Connection limits shared by the protocol servers: a total and a per client IP count,
 * checked at accept (RFC 5321 3.8 421, POP3/IMAP refuse with a BYE/-ERR). */
#ifndef NET_CONN_LIMITS_H
#define NET_CONN_LIMITS_H

struct conn_limits;

enum conn_limits_result {
	CONN_LIMITS_OK,
	CONN_LIMITS_TOTAL,  /* max_total reached */
	CONN_LIMITS_PER_IP, /* max_per_ip reached for this address */
};

struct conn_limits *conn_limits_new(void);
void conn_limits_free(struct conn_limits **l);
/* Counts a new connection from ip and says whether it is within max_total / max_per_ip
 * (0 = unlimited). The connection is counted either way: conn_limits_remove() it. */
enum conn_limits_result conn_limits_add(struct conn_limits *l, const char *ip, unsigned max_total,
					unsigned max_per_ip);
void conn_limits_remove(struct conn_limits *l, const char *ip);
unsigned conn_limits_total(const struct conn_limits *l);

#endif
