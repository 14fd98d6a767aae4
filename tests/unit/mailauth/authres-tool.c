/* authres-tool: builds an Authentication-Results field with src/mailauth/authres.c from the
 * command line, for the interop test against python3-authres (test_authres_interop.py).
 *   authres-tool ID [method=result | reason:TEXT | comment:TEXT | prop:ptype.property=VALUE
 *                    | b:VALUE]...        prints the field ("; none" without any method)
 *   authres-tool --submission ID USER / --mynetworks ID
 *   authres-tool --strip ID < message    prints the message without the fields claiming ID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/authres.h"

static int
usage(void)
{
	fprintf(stderr, "usage: authres-tool ID [method=result|reason:T|comment:T|"
			"prop:ptype.property=V|b:V]...\n");
	return 2;
}

static void
strip(const char *id)
{
	struct buf in, out;
	char chunk[4096];
	size_t n;

	buf_init(&in);
	buf_init(&out);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_append(&in, chunk, n);
	authres_strip_ours(in.data, in.len, id, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&in);
	buf_free(&out);
}

int
main(int argc, char **argv)
{
	struct authres_builder b;
	struct buf out;
	int i;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "--strip") == 0 && argc == 3) {
		strip(argv[2]);
		return 0;
	}
	buf_init(&out);
	if (strcmp(argv[1], "--submission") == 0 && argc == 4) {
		authres_not_checked_submission(&out, argv[2], argv[3]);
	} else if (strcmp(argv[1], "--mynetworks") == 0 && argc == 3) {
		authres_not_checked_mynetworks(&out, argv[2]);
	} else {
		authres_begin(&b, &out, argv[1], 0);
		for (i = 2; i < argc; i++) {
			const char *a = argv[i];
			char *eq = strchr(a, '=');

			if (strncmp(a, "reason:", 7) == 0) {
				authres_reason(&b, a + 7);
			} else if (strncmp(a, "comment:", 8) == 0) {
				authres_comment(&b, a + 8);
			} else if (strncmp(a, "b:", 2) == 0) {
				authres_prop_b(&b, a + 2);
			} else if (strncmp(a, "prop:", 5) == 0 && eq != NULL) {
				char *dot = strchr(a + 5, '.');

				if (dot == NULL || dot > eq)
					return usage();
				*dot = '\0';
				*eq = '\0';
				authres_prop(&b, a + 5, dot + 1, eq + 1);
			} else if (eq != NULL) {
				*eq = '\0';
				authres_method(&b, a, eq + 1);
			} else {
				return usage();
			}
		}
		authres_end(&b);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return 0;
}
