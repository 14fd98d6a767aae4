/* Tests of SEARCH argument parsing into a key tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_flags.h"
#include "imap/imap_parser.h"
#include "imap/imap_search.h"
#include "util/buf.h"

static const char *const type_names[] = {
	"ALL",     "AND",     "OR",   "NOT",    "SEQ",        "UID",    "FLAG",
	"KEYWORD", "BEFORE",  "ON",   "SINCE",  "SENTBEFORE", "SENTON", "SENTSINCE",
	"LARGER",  "SMALLER", "FROM", "TO",     "CC",         "BCC",    "SUBJECT",
	"HEADER",  "BODY",    "TEXT", "MODSEQ",
};

static void
dump_key(struct buf *out, const struct imap_search_key *k)
{
	buf_appends(out, type_names[k->type]);
	if (k->type == IMAP_SEARCH_FLAG)
		buf_printf(out, ":%s", imap_flag_name(k->flag));
	if (k->field != NULL)
		buf_printf(out, ":%s", k->field);
	if (k->value != NULL)
		buf_printf(out, ":<%s>", k->value);
	if (k->type == IMAP_SEARCH_LARGER || k->type == IMAP_SEARCH_SMALLER ||
	    k->type == IMAP_SEARCH_MODSEQ)
		buf_printf(out, ":%llu", (unsigned long long)k->number);
	if (k->type >= IMAP_SEARCH_BEFORE && k->type <= IMAP_SEARCH_SENTSINCE)
		buf_printf(out, ":%ld", k->day);
	if (k->type == IMAP_SEARCH_SEQSET || k->type == IMAP_SEARCH_UID) {
		if (k->set.saved)
			buf_appends(out, ":$");
		for (size_t i = 0; i < k->set.count; i++)
			buf_printf(out, "%c%u-%u", i == 0 ? ':' : ',', k->set.ranges[i].lo,
				   k->set.ranges[i].hi);
	}
	if (k->count > 0) {
		buf_appendc(out, '(');
		for (size_t i = 0; i < k->count; i++) {
			if (i > 0)
				buf_appendc(out, ' ');
			dump_key(out, &k->children[i]);
		}
		buf_appendc(out, ')');
	}
}

/* Parses "SEARCH <args>" and returns the dump of the tree or "ERR reason". */
static void
check(const char *args, const char *want)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_search_query q;
	struct buf line = BUF_INIT, out = BUF_INIT;
	const char *error;
	size_t used;

	buf_printf(&line, "a SEARCH %s\r\n", args);
	assert_int_equal(imap_parser_parse(p, line.data, line.len, &used), 1);
	const struct imap_command *c = imap_parser_command(p);
	if (imap_search_parse(c->args, c->count, &q, &error) < 0) {
		buf_printf(&out, "ERR%s %s", q.bad_charset ? " BADCHARSET" : "", error);
	} else {
		if (q.esearch)
			buf_printf(&out, "RET%x ", q.ret);
		if (q.utf8)
			buf_appends(&out, "UTF8 ");
		if (q.has_modseq)
			buf_appends(&out, "M ");
		if (q.uses_saved)
			buf_appends(&out, "$ ");
		dump_key(&out, &q.root);
	}
	imap_search_query_free(&q);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&line);
	buf_free(&out);
	imap_parser_free(&p);
}

static void
test_simple_keys(void **state)
{
	check("ALL", "AND(ALL)");
	check("unseen", "AND(NOT(FLAG:\\Seen))");
	check("SEEN FLAGGED", "AND(FLAG:\\Seen FLAG:\\Flagged)");
	check("OLD", "AND(NOT(FLAG:\\Recent))");
	check("NEW", "AND(AND(FLAG:\\Recent NOT(FLAG:\\Seen)))");
	check("KEYWORD $Junk UNKEYWORD foo", "AND(KEYWORD:<$Junk> NOT(KEYWORD:<foo>))");
	check("LARGER 100 SMALLER 2000", "AND(LARGER:100 SMALLER:2000)");
	check("FROM \"smith\" SUBJECT {5+}\r\nhello", "AND(FROM:<smith> SUBJECT:<hello>)");
	check("HEADER Message-ID \"<x@y>\"", "AND(HEADER:Message-ID:<<x@y>>)");
	check("HEADER X-Spam \"\"", "AND(HEADER:X-Spam:<>)");
	check("BODY x TEXT y TO a CC b BCC c", "AND(BODY:<x> TEXT:<y> TO:<a> CC:<b> BCC:<c>)");
	check("SINCE 1-Feb-1994 BEFORE \"2-Feb-1994\" ON 3-feb-1994",
	      "AND(SINCE:8797 BEFORE:8798 ON:8799)");
	check("SENTSINCE 1-Jan-1970 SENTBEFORE 2-Jan-1970 SENTON 1-Jan-1970",
	      "AND(SENTSINCE:0 SENTBEFORE:1 SENTON:0)");
	check("DELETED UNDELETED DRAFT UNDRAFT ANSWERED UNANSWERED UNFLAGGED RECENT",
	      "AND(FLAG:\\Deleted NOT(FLAG:\\Deleted) FLAG:\\Draft NOT(FLAG:\\Draft) "
	      "FLAG:\\Answered NOT(FLAG:\\Answered) NOT(FLAG:\\Flagged) FLAG:\\Recent)");
}

static void
test_structure(void **state)
{
	check("1:3,5", "AND(SEQ:1-3,5-5)");
	check("UID 2:*", "AND(UID:2-0)");
	check("OR SEEN FLAGGED", "AND(OR(FLAG:\\Seen FLAG:\\Flagged))");
	check("NOT OR 1 2", "AND(NOT(OR(SEQ:1-1 SEQ:2-2)))");
	check("(SEEN (FLAGGED DELETED)) ALL",
	      "AND(AND(FLAG:\\Seen AND(FLAG:\\Flagged FLAG:\\Deleted)) ALL)");
	check("OR (FROM a) (TO b)", "AND(OR(AND(FROM:<a>) AND(TO:<b>)))");
	check("$", "$ AND(SEQ:$)");
	check("UID $", "$ AND(UID:$)");
}

static void
test_prefix(void **state)
{
	check("CHARSET UTF-8 SUBJECT \"\xc3\xa9t\xc3\xa9\"",
	      "UTF8 AND(SUBJECT:<\xc3\xa9t\xc3\xa9>)");
	check("charset us-ascii ALL", "AND(ALL)");
	check("CHARSET KOI8-R ALL", "ERR BADCHARSET Unsupported charset");
	check("RETURN (MIN MAX) ALL", "RET3 AND(ALL)");
	check("RETURN () ALL", "RET4 AND(ALL)");
	check("RETURN (COUNT ALL SAVE) CHARSET UTF-8 SEEN", "RET1c UTF8 AND(FLAG:\\Seen)");
	check("RETURN (BOGUS) ALL", "ERR Unknown RETURN option");
	check("RETURN ALL", "ERR RETURN needs a list");
	check("MODSEQ 5", "M AND(MODSEQ:5)");
	check("MODSEQ \"/flags/\\\\draft\" all 620162338",
	      "M AND(MODSEQ:/flags/\\draft:620162338)");
	check("MODSEQ \"/flags/x\" bogus 1", "ERR Invalid MODSEQ entry type");
}

static void
test_errors(void **state)
{
	check("", "ERR Missing search key");
	check("FOO", "ERR Unknown search key");
	check("FROM", "ERR Missing search argument");
	check("OR SEEN", "ERR Missing search argument");
	check("LARGER x", "ERR Invalid number");
	check("LARGER -1", "ERR Invalid number");
	check("SINCE 30-Feb-2020", "ERR Invalid search date");
	check("UID x", "ERR Invalid sequence set");
	check("()", "ERR Empty search list");
	check("KEYWORD (a)", "ERR Invalid search argument");
	check("CHARSET UTF-8", "ERR Missing search key");
	check("\"ALL\"", "ERR Invalid search key");
}

static void
test_depth(void **state)
{
	struct buf args = BUF_INIT;

	for (int i = 0; i < 100; i++)
		buf_appends(&args, "NOT ");
	buf_appends(&args, "ALL");
	check(buf_cstr(&args), "ERR Search too deeply nested");
	buf_free(&args);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_keys), cmocka_unit_test(test_structure),
		cmocka_unit_test(test_prefix),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
