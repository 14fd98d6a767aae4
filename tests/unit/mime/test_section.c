/* Unit tests: the serialized part tree and IMAP BODY[section] lookups on the nested
 * message of RFC 3501 6.4.5's example (parts 1, 2, 3, 3.1, 3.2, 4.1, 4.2, 4.2.1,
 * 4.2.2.1, 4.2.2.2), section spec parsing, and damaged blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mime_parts.h"
#include "mail/msg_summary.h"

static const char *example_lf = "Subject: top\n"
				"Content-Type: multipart/mixed; boundary=A\n"
				"\n"
				"--A\n"
				"Content-Type: text/plain\n"
				"\n"
				"part1\n"
				"--A\n"
				"Content-Type: application/octet-stream\n"
				"\n"
				"part2\n"
				"--A\n"
				"Content-Type: message/rfc822\n"
				"\n"
				"Subject: inner3\n"
				"Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"--B\n"
				"\n"
				"text31\n"
				"--B\n"
				"Content-Type: application/octet-stream\n"
				"\n"
				"bin32\n"
				"--B--\n"
				"--A\n"
				"Content-Type: multipart/mixed; boundary=C\n"
				"\n"
				"--C\n"
				"Content-Type: image/gif\n"
				"\n"
				"gif\n"
				"--C\n"
				"Content-Type: message/rfc822\n"
				"\n"
				"Subject: inner42\n"
				"Content-Type: multipart/mixed; boundary=D\n"
				"\n"
				"--D\n"
				"\n"
				"text421\n"
				"--D\n"
				"Content-Type: multipart/alternative; boundary=E\n"
				"\n"
				"--E\n"
				"\n"
				"alt1\n"
				"--E\n"
				"Content-Type: text/richtext\n"
				"\n"
				"alt2\n"
				"--E--\n"
				"--D--\n"
				"--C--\n"
				"--A--\n";

struct fixture {
	struct buf msg;
	struct msg_summary sum;
	struct mime_parts parts;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *p;

	for (p = example_lf; *p != '\0'; p++) {
		if (*p == '\n')
			buf_appendc(&f->msg, '\r');
		buf_appendc(&f->msg, *p);
	}
	msg_summary_build(f->msg.data, f->msg.len, &f->sum);
	if (mime_parts_decode(f->sum.parts.data, f->sum.parts.len, &f->parts) < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mime_parts_free(&f->parts);
	msg_summary_free(&f->sum);
	buf_free(&f->msg);
	free(f);
	return 0;
}

static void
expect(struct fixture *f, const char *section, const char *want)
{
	struct mime_section_spec spec;
	const char *error = NULL;
	struct buf out = BUF_INIT;
	int ret;

	assert_int_equal(mime_section_parse(section, strlen(section), &spec, &error), 0);
	ret = mime_section_extract(&f->parts, &spec, f->msg.data, f->msg.len, &out);
	if (want == NULL) {
		assert_int_equal(ret, -1);
	} else {
		assert_int_equal(ret, 0);
		assert_string_equal(buf_cstr(&out), want);
	}
	buf_free(&out);
	mime_section_spec_free(&spec);
}

static void
test_sections(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->parts.count, 15);
	expect(f, "", f->msg.data);
	expect(f, "HEADER", "Subject: top\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n");
	expect(f, "1", "part1");
	expect(f, "1.MIME", "Content-Type: text/plain\r\n\r\n");
	expect(f, "2", "part2");
	expect(f, "3.HEADER",
	       "Subject: inner3\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n");
	expect(f, "3.1", "text31");
	expect(f, "3.2", "bin32");
	expect(f, "3.2.MIME", "Content-Type: application/octet-stream\r\n\r\n");
	expect(f, "4.1", "gif");
	expect(f, "4.1.MIME", "Content-Type: image/gif\r\n\r\n");
	expect(f, "4.2.HEADER.FIELDS (SUBJECT)", "Subject: inner42\r\n\r\n");
	expect(f, "4.2.header.fields.not (\"Content-Type\" x)", "Subject: inner42\r\n\r\n");
	expect(f, "4.2.1", "text421");
	expect(f, "4.2.2.1", "alt1");
	expect(f, "4.2.2.2", "alt2");
	expect(f, "4.2.2.2.MIME", "Content-Type: text/richtext\r\n\r\n");
	expect(f, "HEADER.FIELDS.NOT (Content-Type)", "Subject: top\r\n\r\n");
	expect(f, "HEADER.FIELDS (X-None)", "\r\n");
	/* missing parts, and HEADER/TEXT of a part that is not a message */
	expect(f, "5", NULL);
	expect(f, "1.2", NULL);
	expect(f, "2.HEADER", NULL);
	expect(f, "4.3", NULL);
	expect(f, "4.2.2.3", NULL);
	expect(f, "99999999", NULL);
}

static void
test_section_message_body(void **state)
{
	struct fixture *f = *state;
	const char *inner = strstr(f->msg.data, "Subject: inner3");
	const char *inner_end = strstr(f->msg.data, "--B--\r\n") + 5;
	const char *text = strstr(f->msg.data, "--B\r\n\r\ntext31");
	struct buf want = BUF_INIT;

	buf_append(&want, inner, (size_t)(inner_end - inner));
	expect(f, "3", buf_cstr(&want));
	buf_reset(&want);
	buf_append(&want, text, (size_t)(inner_end - text));
	expect(f, "3.TEXT", buf_cstr(&want));
	buf_reset(&want);
	text = strstr(f->msg.data, "\r\n\r\n") + 4;
	buf_append(&want, text, f->msg.len - (size_t)(text - f->msg.data));
	expect(f, "TEXT", buf_cstr(&want));
	buf_free(&want);
}

static void
test_single_part(void **state)
{
	const char *m = "Subject: s\r\n\r\nhello\r\n";
	struct msg_summary s;
	struct fixture f;

	(void)state;
	msg_summary_build(m, strlen(m), &s);
	assert_int_equal(mime_parts_decode(s.parts.data, s.parts.len, &f.parts), 0);
	f.msg.data = (char *)m;
	f.msg.len = strlen(m);
	expect(&f, "1", "hello\r\n");
	expect(&f, "TEXT", "hello\r\n");
	expect(&f, "1.MIME", "Subject: s\r\n\r\n");
	expect(&f, "2", NULL);
	expect(&f, "1.1", NULL);
	expect(&f, "1.HEADER", NULL);
	mime_parts_free(&f.parts);
	msg_summary_free(&s);
}

static void
test_section_parse_errors(void **state)
{
	static const char *const bad[] = {
		"0",
		"1.",
		"1..2",
		".1",
		"HEADER.FIELDS",
		"HEADER.FIELDS ()",
		"HEADER.FIELDS (a",
		"HEADER.FIELDS(a)",
		"MIME",
		"1.FOO",
		"TEXT x",
		"HEADERX",
		"1.0",
		"1a",
		"4294967296",
		"HEADER.FIELDS (a) x",
		"HEADER.FIELDS (\"a)",
	};
	struct mime_section_spec spec;
	const char *error;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = NULL;
		assert_int_equal(mime_section_parse(bad[i], strlen(bad[i]), &spec, &error), -1);
		assert_non_null(error);
	}
	assert_int_equal(mime_section_parse("1.2.3.header.fields (a \"b c\" D)", 31, &spec, &error),
			 0);
	assert_int_equal(spec.path_len, 3);
	assert_int_equal(spec.kind, MIME_SECTION_HEADER_FIELDS);
	assert_int_equal(spec.nfields, 3);
	assert_string_equal(spec.fields[1], "b c");
	mime_section_spec_free(&spec);
}

static void
test_blob_damage(void **state)
{
	struct fixture *f = *state;
	struct mime_parts p;
	struct buf b = BUF_INIT;
	size_t i;

	/* every truncation and every single-byte change is either rejected or decodes to
	 * something that stays in bounds (checked by ASan) */
	for (i = 0; i < f->sum.parts.len; i++) {
		if (mime_parts_decode(f->sum.parts.data, i, &p) == 0)
			mime_parts_free(&p);
	}
	for (i = 0; i < f->sum.parts.len; i++) {
		buf_reset(&b);
		buf_append(&b, f->sum.parts.data, f->sum.parts.len);
		b.data[i] = (char)(b.data[i] ^ 0x5a);
		if (mime_parts_decode(b.data, b.len, &p) == 0)
			mime_parts_free(&p);
	}
	assert_int_equal(mime_parts_decode("", 0, &p), -1);
	assert_int_equal(mime_parts_decode("MP\x01\x00", 4, &p), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_message_body, setup, teardown),
		cmocka_unit_test(test_single_part),
		cmocka_unit_test(test_section_parse_errors),
		cmocka_unit_test_setup_teardown(test_blob_damage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
