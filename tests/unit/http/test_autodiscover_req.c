/* Unit tests of the Autodiscover EMailAddress extractor (src/http/http_autodiscover_req.c):
 * real Outlook requests, prefixes, white space, and everything it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_autodiscover_req.h"

static int
extract(const char *body, char *out)
{
	/* an exact-size copy without NUL: a read past len would be an ASan report */
	size_t len = strlen(body);
	char *copy = malloc(len > 0 ? len : 1);
	int ret;

	memcpy(copy, body, len);
	ret = autodiscover_request_email(copy, len, out, AUTODISCOVER_ADDRESS_MAX + 1);
	free(copy);
	return ret;
}

static void
test_outlook_request(void **state)
{
	char out[AUTODISCOVER_ADDRESS_MAX + 1];

	(void)state;
	assert_int_equal(
		extract("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
			"<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/"
			"outlook/requestschema/2006\">\r\n  <Request>\r\n"
			"    <EMailAddress>alice@example.test</EMailAddress>\r\n"
			"    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/"
			"autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\r\n"
			"  </Request>\r\n</Autodiscover>\r\n",
			out),
		0);
	assert_string_equal(out, "alice@example.test");
	assert_int_equal(extract("<a:Request><a:EMailAddress xmlns:a=\"x\">\n bob@x.test\t\n"
				 "</a:EMailAddress>",
				 out),
			 0);
	assert_string_equal(out, "bob@x.test");
	/* a comment or declaration before it is skipped */
	assert_int_equal(extract("<!-- <EMailAddress>no@x</EMailAddress> --><EMailAddress>yes@x"
				 "</EMailAddress>",
				 out),
			 0);
	assert_string_equal(out, "yes@x");
	assert_int_equal(extract("<![CDATA[<EMailAddress>no@x</EMailAddress>]]>"
				 "<EMailAddress>yes@x</EMailAddress>",
				 out),
			 0);
	assert_string_equal(out, "yes@x");
	assert_int_equal(extract("<!-- never closed <EMailAddress>no@x</EMailAddress>", out), -1);
}

static void
test_refused(void **state)
{
	char out[AUTODISCOVER_ADDRESS_MAX + 1], long_addr[400];

	(void)state;
	assert_int_equal(extract("", out), -1);
	assert_int_equal(extract("no markup at all", out), -1);
	assert_int_equal(extract("<EMailAddress></EMailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddress>  \r\n </EMailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddress/>", out), -1);
	assert_int_equal(extract("<EMailAddress>a@b", out), -1);
	assert_int_equal(extract("<EMailAddress", out), -1);
	assert_int_equal(extract("<EMailAddress>a&amp;b@x</EMailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddress><![CDATA[a@b]]></EMailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddress>a b@x</EMailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddress>a\x01@x</EMailAddress>", out), -1);
	assert_int_equal(extract("<EmailAddress>case@x</EmailAddress>", out), -1);
	assert_int_equal(extract("<EMailAddressX>a@x</EMailAddressX>", out), -1);
	assert_int_equal(extract("</EMailAddress>a@x<x>", out), -1);
	memset(long_addr, 0, sizeof(long_addr));
	strcpy(long_addr, "<EMailAddress>");
	memset(long_addr + strlen(long_addr), 'a', 250);
	strcat(long_addr, "@x.test</EMailAddress>");
	assert_int_equal(extract(long_addr, out), -1);
	/* too small an output buffer is refused, not overrun */
	assert_int_equal(
		autodiscover_request_email("<EMailAddress>a@b</EMailAddress>", 32, out, 16), -1);
}

static void
test_first_element_wins(void **state)
{
	char out[AUTODISCOVER_ADDRESS_MAX + 1];

	(void)state;
	assert_int_equal(extract("<x><EMailAddress>one@x</EMailAddress>"
				 "<EMailAddress>two@x</EMailAddress>",
				 out),
			 0);
	assert_string_equal(out, "one@x");
	/* a '>' in an attribute value ends the tag early: refused, never misread */
	assert_int_equal(extract("<EMailAddress a=\">\">a@x</EMailAddress>", out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outlook_request),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_first_element_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
