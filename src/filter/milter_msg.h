/* A message as a milter client edits it: the header fields as a list (so that a filter's
 * insert/change/delete by index land where Postfix puts them) and the body. */
#ifndef FILTER_MILTER_MSG_H
#define FILTER_MILTER_MSG_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

struct milter_field {
	char *name;
	char *value; /* as in the message after the colon (leading space kept), CRLF folds */
};

struct milter_msg {
	struct milter_field *fields;
	size_t n, cap;
	struct buf body; /* after the empty line, CRLF */
	bool changed;    /* an edit was made: format it back */
};

/* Splits data (CRLF lines; a message without an empty line is all header, one without
 * header fields all body). */
void milter_msg_parse(struct milter_msg *m, const char *data, size_t len);
void milter_msg_format(const struct milter_msg *m, struct buf *out);
void milter_msg_free(struct milter_msg *m);

/* The edits of a milter at end of message (SMFIR_*HEADER). value is as the filter sent it:
 * LF (or CRLF) line breaks, no leading space unless leadspc. */
void milter_msg_add(struct milter_msg *m, const char *name, const char *value, bool leadspc);
/* At position index (0 = first field) or at the end when beyond. */
void milter_msg_insert(struct milter_msg *m, size_t index, const char *name, const char *value,
		       bool leadspc);
/* The index-th (1-based) field called name (case-insensitive): an empty value deletes it;
 * a field that does not exist is added (as Postfix and Sendmail do). */
void milter_msg_change(struct milter_msg *m, const char *name, unsigned index, const char *value,
		       bool leadspc);

/* A field's value as the milter protocol sends it: the leading space removed unless
 * leadspc, CRLF folds as bare LF (Postfix's milter8.c does both). Free it. */
char *milter_field_wire_value(const struct milter_field *f, bool leadspc);

#endif
