/* smtpblast: the sender of `bench/smtp-in --auth`, in C.
 *
 * smtp-source (Postfix's load tool, used by the other modes) cannot send messages of our own,
 * and the signed messages of --auth must be sent as they are. Python threads did it before,
 * at 0.3-2.5 ms of CPU per message and with GIL hand-offs in every round trip: on 2 cores
 * the sender then competed with the servers it measures. This does what smtp-source does
 * (one connection per message, lock-step commands, no PIPELINING) at a few microseconds of
 * CPU per message, the same for every server measured.
 *
 * usage: smtpblast HOST PORT SOURCE_IP SESSIONS MESSAGES POOL RCPTS
 *   POOL:  records "<mail-from>\n<length>\n<length bytes of message, CRLF, dot-stuffed>"
 *   RCPTS: one recipient address per line; message i goes to recipient i % n
 * Message i is pool record i % records. Prints "start END_OF_LAST_REPLY errors" as
 * "t_start=<epoch> t_end=<epoch> errors=<n>" and the first error on stderr; exit 1 on error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct record {
	char *from;
	char *data;
	size_t len;
};

static struct record *pool;
static size_t n_pool;
static char **rcpts;
static size_t n_rcpts;
static struct sockaddr_in server, source;
static long n_messages;
static atomic_long next_message;
static atomic_int errors;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fail(const char *what, long i, const char *line)
{
	pthread_mutex_lock(&err_lock);
	if (atomic_fetch_add(&errors, 1) == 0)
		fprintf(stderr, "smtpblast: message %ld: %s: %s\n", i, what, line);
	pthread_mutex_unlock(&err_lock);
}

static double
now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	char *p = malloc(*len + 1);
	if (p == NULL || fread(p, 1, *len, f) != *len) {
		perror(path);
		exit(2);
	}
	p[*len] = '\0';
	fclose(f);
	return p;
}

static void
load_pool(const char *path)
{
	size_t len, cap = 0;
	char *p = read_file(path, &len), *end = p + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		*nl = '\0';
		char *from = p;
		char *num = nl + 1;
		size_t n = strtoul(num, &p, 10);
		if (*p != '\n' || (size_t)(end - p - 1) < n) {
			fprintf(stderr, "smtpblast: %s: bad record\n", path);
			exit(2);
		}
		if (n_pool == cap) {
			cap = cap ? cap * 2 : 64;
			pool = realloc(pool, cap * sizeof(*pool));
		}
		pool[n_pool++] = (struct record){from, p + 1, n};
		p += 1 + n;
	}
}

static void
load_rcpts(const char *path)
{
	size_t len, cap = 0;
	char *p = read_file(path, &len);
	for (char *line = strtok(p, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (n_rcpts == cap) {
			cap = cap ? cap * 2 : 64;
			rcpts = realloc(rcpts, cap * sizeof(*rcpts));
		}
		rcpts[n_rcpts++] = line;
	}
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one whole reply (its last line is "NNN " or "NNN\r\n"); returns its code. */
static int
read_reply(int fd, char *buf, size_t size)
{
	size_t have = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, size - 1 - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		/* the last complete line decides: a continuation line has '-' after the code */
		if (have >= 2 && buf[have - 2] == '\r' && buf[have - 1] == '\n') {
			char *last = buf + have - 2;
			while (last > buf && last[-1] != '\n')
				last--;
			if (last[3] != '-')
				return atoi(last);
		}
		if (have >= size - 1)
			return -1;
	}
}

static int
transaction(long i)
{
	const struct record *m = &pool[(size_t)i % n_pool];
	const char *rcpt = rcpts[(size_t)i % n_rcpts];
	char buf[4096], cmd[1024];
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = -1, one = 1;
	/* The source port is chosen at connect(), by the whole 4-tuple: a bind() to port 0
	 * must find a port no socket on 127.0.0.10 holds, and with tens of thousands of
	 * connections in TIME_WAIT that search took a core of kernel time. */
	if (fd >= 0)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&source, sizeof(source)) < 0 ||
	    connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0) {
		fail("connect", i, "failed");
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read_reply(fd, buf, sizeof(buf)) != 220) {
		fail("greeting", i, buf);
		goto out;
	}
	const char *fmt[] = {"EHLO client.bench.test\r\n", "MAIL FROM:<%s>\r\n", "RCPT TO:<%s>\r\n",
			     "DATA\r\n"};
	const char *arg[] = {NULL, m->from, rcpt, NULL};
	const int want[] = {250, 250, 250, 354};
	for (int s = 0; s < 4; s++) {
		int n = snprintf(cmd, sizeof(cmd), fmt[s], arg[s]);
		if (send_all(fd, cmd, (size_t)n) < 0 || read_reply(fd, buf, sizeof(buf)) != want[s]) {
			fail(cmd, i, buf);
			goto out;
		}
	}
	if (send_all(fd, m->data, m->len) < 0 || send_all(fd, ".\r\n", 3) < 0 ||
	    read_reply(fd, buf, sizeof(buf)) != 250) {
		fail("end of data", i, buf);
		goto out;
	}
	if (send_all(fd, "QUIT\r\n", 6) == 0)
		read_reply(fd, buf, sizeof(buf));
	ok = 0;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

static void *
lane(void *arg)
{
	(void)arg;
	for (;;) {
		long i = atomic_fetch_add(&next_message, 1);
		if (i >= n_messages || atomic_load(&errors) > 0)
			return NULL;
		if (transaction(i) < 0)
			return NULL;
	}
}

int
main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: smtpblast HOST PORT SOURCE_IP SESSIONS MESSAGES POOL RCPTS\n");
		return 2;
	}
	server.sin_family = source.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &source.sin_addr) != 1) {
		fprintf(stderr, "smtpblast: bad address\n");
		return 2;
	}
	int sessions = atoi(argv[4]);
	n_messages = atol(argv[5]);
	load_pool(argv[6]);
	load_rcpts(argv[7]);
	if (sessions < 1 || n_pool == 0 || n_rcpts == 0) {
		fprintf(stderr, "smtpblast: nothing to send\n");
		return 2;
	}
	pthread_t *t = calloc((size_t)sessions, sizeof(*t));
	double t_start = now();
	for (int k = 0; k < sessions; k++)
		pthread_create(&t[k], NULL, lane, NULL);
	for (int k = 0; k < sessions; k++)
		pthread_join(t[k], NULL);
	printf("t_start=%.6f t_end=%.6f errors=%d\n", t_start, now(), atomic_load(&errors));
	return atomic_load(&errors) ? 1 : 0;
}
