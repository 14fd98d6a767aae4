/* Message flags (see imap_flags.h). RFC 3501 9:
 *   flag-list = "(" [flag *(SP flag)] ")"
 *   flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword */
#include "imap/imap_flags.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_parser.h"
#include "imap/imap_write.h"
#include "util/str.h"
#include "util/xmalloc.h"

static const char *const flag_names[IMAP_FLAG_COUNT] = {
	"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent",
};

const char *
imap_flag_name(unsigned flag)
{
	for (unsigned i = 0; i < IMAP_FLAG_COUNT; i++) {
		if (flag == (1u << i))
			return flag_names[i];
	}
	return NULL;
}

unsigned
imap_flag_from_name(const char *name)
{
	for (unsigned i = 0; i < IMAP_FLAG_COUNT; i++) {
		if (str_casecmp(name, flag_names[i]) == 0)
			return 1u << i;
	}
	return 0;
}

bool
imap_keyword_is_valid(const char *kw)
{
	size_t len = strlen(kw);

	if (len == 0 || len > 100 || strchr(kw, '\\') != NULL)
		return false;
	return imap_write_is_atom(kw, len) && strchr(kw, ']') == NULL;
}

static bool
has_keyword(const struct imap_flag_list *list, const char *kw)
{
	for (size_t i = 0; i < list->n_keywords; i++) {
		if (str_casecmp(list->keywords[i], kw) == 0)
			return true;
	}
	return false;
}

static int
add_flag(struct imap_flag_list *out, const struct imap_arg *arg, const char **error_r)
{
	const char *s;
	unsigned f;

	if (!imap_arg_get_atom(arg, &s)) {
		*error_r = "Flags must be atoms";
		return -1;
	}
	if (s[0] == '\\') {
		f = imap_flag_from_name(s);
		if (f == 0 || f == IMAP_FLAG_RECENT) {
			*error_r = "Invalid system flag";
			return -1;
		}
		out->flags |= f;
		return 0;
	}
	if (!imap_keyword_is_valid(s)) {
		*error_r = "Invalid keyword";
		return -1;
	}
	if (has_keyword(out, s))
		return 0;
	out->keywords = xrealloc(out->keywords, (out->n_keywords + 2) * sizeof(char *));
	out->keywords[out->n_keywords++] = xstrdup(s);
	out->keywords[out->n_keywords] = NULL;
	return 0;
}

int
imap_flags_parse(const struct imap_arg *args, size_t count, struct imap_flag_list *out,
		 const char **error_r)
{
	memset(out, 0, sizeof(*out));
	out->keywords = xcalloc(1, sizeof(char *));
	if (count == 1 && args[0].type == IMAP_ARG_LIST) {
		count = args[0].count;
		args = args[0].list;
	}
	for (size_t i = 0; i < count; i++) {
		if (add_flag(out, &args[i], error_r) < 0) {
			imap_flag_list_free(out);
			return -1;
		}
	}
	return 0;
}

void
imap_flag_list_free(struct imap_flag_list *list)
{
	for (size_t i = 0; i < list->n_keywords; i++)
		free(list->keywords[i]);
	free(list->keywords);
	memset(list, 0, sizeof(*list));
}
