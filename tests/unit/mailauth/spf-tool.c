/* spf-tool: runs check_host() (src/mailauth/spf.h) for the tests, not installed.
 *
 *   spf-tool [--async] [--exp TEXT] [--receiver HOST] --zone FILE
 *   spf-tool [--exp TEXT] [--receiver HOST] [--cache-size N] --dns ADDR[:PORT]
 *
 * evaluates over the fake DNS loaded from FILE (spf_fake_dns.h); --async delivers its
 * answers as an event loop would, not inside the lookups. With --dns, over src/dns (c-ares
 * on a libevent loop, with its answer cache) asking the server at ADDR. Queries are read from
 * stdin, one a line: "ip<TAB>mailfrom<TAB>helo"; for each, one line is printed:
 * "result<TAB>explanation<TAB>problem" (empty fields when there is none). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "dns/dns.h"
#include "mailauth/spf.h"
#include "mailauth/spf_dns.h"
#include "spf_fake_dns.h"

struct spf_tool_answer {
	bool done;
};

static void
spf_tool_done(void *ctx, enum spf_result result, const char *explanation, const char *problem)
{
	struct spf_tool_answer *a = ctx;

	printf("%s\t%s\t%s\n", spf_result_name(result), explanation != NULL ? explanation : "",
	       problem != NULL ? problem : "");
	a->done = true;
}

static int
spf_tool_usage(void)
{
	fprintf(stderr, "usage: spf-tool [--async] [--exp TEXT] [--receiver HOST] --zone FILE\n"
			"       spf-tool [--exp TEXT] [--receiver HOST] [--cache-size N] "
			"--dns ADDR[:PORT]\n");
	return 64;
}

int
main(int argc, char **argv)
{
	struct spf_check_params params;
	struct spf_fake_dns *fd = NULL;
	struct event_base *base = NULL;
	struct dns *dns = NULL;
	const char *resolvers[2] = {NULL, NULL}, *error;
	long cache_size = -1;
	struct spf_resolver res;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool async = false;
	int i;

	memset(&params, 0, sizeof(params));
	params.receiver = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--async") == 0) {
			async = true;
		} else if (strcmp(argv[i], "--exp") == 0 && i + 1 < argc) {
			params.default_exp = argv[++i];
		} else if (strcmp(argv[i], "--receiver") == 0 && i + 1 < argc) {
			params.receiver = argv[++i];
		} else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc) {
			resolvers[0] = argv[++i];
		} else if (strcmp(argv[i], "--cache-size") == 0 && i + 1 < argc) {
			cache_size = atol(argv[++i]);
		} else if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc) {
			fd = spf_fake_dns_new();
			if (spf_fake_dns_load(fd, argv[++i]) < 0) {
				fprintf(stderr, "spf-tool: bad zone file %s\n", argv[i]);
				return 1;
			}
		} else {
			return spf_tool_usage();
		}
	}
	if ((fd == NULL) == (resolvers[0] == NULL))
		return spf_tool_usage();
	if (fd != NULL) {
		spf_fake_dns_set_async(fd, async);
		res = spf_fake_dns_resolver(fd);
	} else {
		base = event_base_new();
		dns = dns_new(base, resolvers, &error);
		if (dns == NULL) {
			fprintf(stderr, "spf-tool: %s\n", error);
			return 1;
		}
		if (cache_size >= 0)
			dns_set_cache_size(dns, (size_t)cache_size);
		res = spf_dns_resolver(dns);
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		struct spf_tool_answer answer = {false};
		char *rest = line, *f[3];

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		/* fields may be empty (a null MAIL FROM) */
		f[0] = strsep(&rest, "\t");
		f[1] = strsep(&rest, "\t");
		f[2] = strsep(&rest, "\t");
		if (f[1] == NULL || f[2] == NULL || rest != NULL) {
			fprintf(stderr, "spf-tool: bad query line\n");
			return 1;
		}
		params.ip = f[0];
		params.mailfrom = f[1];
		params.helo = f[2];
		params.now = time(NULL);
		(void)spf_check_start(&res, &params, spf_tool_done, &answer);
		while (!answer.done && (fd != NULL ? spf_fake_dns_pump(fd)
						   : event_base_loop(base, EVLOOP_ONCE) == 0))
			;
		if (!answer.done) {
			fprintf(stderr, "spf-tool: the check stalled\n");
			return 1;
		}
		while (fd != NULL && spf_fake_dns_pump(fd)) /* nothing may be left behind */
			;
		fflush(stdout);
	}
	free(line);
	spf_fake_dns_free(&fd);
	dns_free(&dns);
	if (base != NULL)
		event_base_free(base);
	return 0;
}
