/* pop3load: the POP3 download-and-delete client of bench/pop3 (compiled by the script into its
 * temp dir). One child process per account: CAPA, USER/PASS, STAT, LIST, then RETR+DELE of every
 * message with up to -w commands in flight (RFC 2449 6.6 PIPELINING), QUIT. Each RETR's
 * un-stuffed byte count must equal its LIST size (RFC 1939 7: LIST gives exact octets). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RBUF_SIZE (256 * 1024)

struct conn {
	int fd;
	char *buf;
	size_t start, end;
	const char *user;
};

static const char *opt_host = "127.0.0.1";
static int opt_port = 110;
static const char *opt_pass = "pw";
static unsigned opt_window = 64;	/* commands in flight (RETR and DELE each count) */
static long opt_expect = -1;		/* messages each mailbox must hold (-1: any) */
static int opt_rset;			/* RSET before QUIT: keep the mail (for profiling) */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pop3load: %s: ", c ? c->user : "-");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
send_all(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(c->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(c, "write: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

/* Next line (CRLF stripped, NUL-terminated in place); *len_r its length without CRLF. */
static char *
get_line(struct conn *c, size_t *len_r)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);

		if (nl != NULL) {
			char *line = c->buf + c->start;
			size_t len = (size_t)(nl - line);

			c->start += len + 1;
			if (len > 0 && line[len - 1] == '\r')
				len--;
			line[len] = '\0';
			*len_r = len;
			return line;
		}
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		if (c->end == RBUF_SIZE - 1)
			die(c, "line longer than %d bytes", RBUF_SIZE);
		ssize_t n = read(c->fd, c->buf + c->end, RBUF_SIZE - 1 - c->end);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(c, "connection closed: %s", n < 0 ? strerror(errno) : "EOF");
		c->end += (size_t)n;
	}
}

static char *
expect_ok(struct conn *c, const char *what)
{
	size_t len;
	char *line = get_line(c, &len);

	if (strncmp(line, "+OK", 3) != 0)
		die(c, "%s: %s", what, line);
	return line;
}

static void
command(struct conn *c, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	send_all(c, cmd, (size_t)n);
}

/* Reads a multi-line body up to "."; returns its un-stuffed size with CRLF line ends. */
static unsigned long long
read_body(struct conn *c)
{
	unsigned long long bytes = 0;
	size_t len;
	char *line;

	for (;;) {
		line = get_line(c, &len);
		if (line[0] == '.') {
			if (len == 1)
				return bytes;
			len--; /* RFC 1939 3: remove the stuffed dot */
		}
		bytes += len + 2;
	}
}

static void
connect_to(struct conn *c)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)opt_port);
	if (inet_pton(AF_INET, opt_host, &sa.sin_addr) != 1)
		die(c, "bad host %s", opt_host);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(c, "connect %s:%d: %s", opt_host, opt_port, strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
login(struct conn *c)
{
	size_t len;
	char *line;
	int pipelining = 0;

	expect_ok(c, "greeting");
	command(c, "CAPA\r\n");
	expect_ok(c, "CAPA");
	while (strcmp((line = get_line(c, &len)), ".") != 0)
		if (strcasecmp(line, "PIPELINING") == 0)
			pipelining = 1;
	if (!pipelining && opt_window > 1)
		die(c, "server does not advertise PIPELINING (use -w 1)");
	command(c, "USER %s\r\n", c->user);
	expect_ok(c, "USER");
	command(c, "PASS %s\r\n", opt_pass);
	expect_ok(c, "PASS");
}

/* One account: returns 0 and prints "user messages bytes login_s transfer_s quit_s":
 * connect..PASS +OK, STAT..last DELE reply (RSET included with -r), QUIT..+OK. */
static int
run_client(const char *user)
{
	struct conn c = {.fd = -1, .user = user};
	unsigned long long *sizes, total = 0;
	unsigned long count, sent = 0, done = 0;
	double t0, t1, t2, t3;
	size_t len;
	char *line, wbuf[64 * 32];
	size_t wlen;

	c.buf = malloc(RBUF_SIZE);
	if (c.buf == NULL)
		die(&c, "out of memory");
	t0 = now();
	connect_to(&c);
	login(&c);
	t1 = now();
	command(&c, "STAT\r\n");
	line = expect_ok(&c, "STAT");
	count = strtoul(line + 4, NULL, 10);
	if (opt_expect >= 0 && count != (unsigned long)opt_expect)
		die(&c, "STAT says %lu messages, expected %ld", count, opt_expect);
	sizes = calloc(count + 1, sizeof(*sizes));
	if (sizes == NULL)
		die(&c, "out of memory");
	command(&c, "LIST\r\n");
	expect_ok(&c, "LIST");
	while (strcmp((line = get_line(&c, &len)), ".") != 0) {
		char *end;
		unsigned long n = strtoul(line, &end, 10);

		if (n == 0 || n > count)
			die(&c, "bad LIST line: %s", line);
		sizes[n] = strtoull(end, NULL, 10);
	}
	/* 2 responses per message: RETR i (even slots) and DELE i (odd slots) */
	while (done < 2 * count) {
		wlen = 0;
		while (sent < 2 * count && sent - done < opt_window && wlen + 32 <= sizeof(wbuf)) {
			unsigned long msg = sent / 2 + 1;

			wlen += (size_t)sprintf(wbuf + wlen, sent % 2 ? "DELE %lu\r\n" : "RETR %lu\r\n",
						msg);
			sent++;
		}
		if (wlen > 0)
			send_all(&c, wbuf, wlen);
		/* read until half the window is free again, then refill */
		do {
			unsigned long msg = done / 2 + 1;

			if (done % 2 == 0) {
				unsigned long long got;

				expect_ok(&c, "RETR");
				got = read_body(&c);
				if (got != sizes[msg])
					die(&c, "RETR %lu: %llu bytes, LIST said %llu", msg, got,
					    sizes[msg]);
				total += got;
			} else {
				expect_ok(&c, "DELE");
			}
			done++;
		} while (done < sent && (sent - done > opt_window / 2 || sent == 2 * count));
	}
	if (opt_rset) {
		command(&c, "RSET\r\n");
		expect_ok(&c, "RSET");
	}
	t2 = now();
	command(&c, "QUIT\r\n");
	expect_ok(&c, "QUIT");
	t3 = now();
	close(c.fd);
	printf("%s %lu %llu %.6f %.6f %.6f\n", user, count, total, t1 - t0, t2 - t1, t3 - t2);
	fflush(stdout);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pop3load [-h host] [-p port] [-P password] [-w window] "
			"[-n expected-messages] [-r] user...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	double t0, t1;
	int opt, i, failed = 0;

	while ((opt = getopt(argc, argv, "h:p:P:w:n:r")) != -1) {
		switch (opt) {
		case 'h': opt_host = optarg; break;
		case 'p': opt_port = atoi(optarg); break;
		case 'P': opt_pass = optarg; break;
		case 'w': opt_window = (unsigned)atoi(optarg); break;
		case 'n': opt_expect = atol(optarg); break;
		case 'r': opt_rset = 1; break;
		default: usage();
		}
	}
	if (optind >= argc || opt_window < 1 || opt_window > 64)
		usage();
	t0 = now();
	for (i = optind; i < argc; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_client(argv[i]));
	}
	for (i = optind; i < argc; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	t1 = now();
	printf("total %.6f %d\n", t1 - t0, failed);
	return failed ? 1 : 0;
}
