/* URLAUTH=BINARY (RFC 5524): URLFETCH parameters and the metadata of a URL's part. See
 * imap_urlauth_ext.h. */
#include <string.h>

#include "imap/imap_urlauth_ext.h"
#include "mail/imap_bodystructure.h"
#include "mail/mime.h"
#include "mail/mime_cte.h"
#include "mail/mime_parts.h"
#include "util/str.h"

int
imap_urlfetch_arg_parse(const struct imap_arg *arg, struct imap_urlfetch_arg *out,
			const char **error_r)
{
	const struct imap_arg *list;

	out->url = NULL;
	out->want = 0;
	if (arg->type != IMAP_ARG_LIST) {
		if (!imap_arg_get_astring(arg, &out->url)) {
			*error_r = "URLFETCH takes URLs";
			return -1;
		}
		return 0;
	}
	/* RFC 5524 5: "(" url *(SP url-fetch-param) ")" */
	list = arg->list;
	if (arg->count == 0 || !imap_arg_get_astring(&list[0], &out->url)) {
		*error_r = "URLFETCH list needs a URL first";
		return -1;
	}
	out->want = IMAP_URLFETCH_EXTENDED;
	for (size_t i = 1; i < arg->count; i++) {
		unsigned bit;

		if (imap_arg_atom_equals(&list[i], "BODY"))
			bit = IMAP_URLFETCH_BODY;
		else if (imap_arg_atom_equals(&list[i], "BINARY"))
			bit = IMAP_URLFETCH_BINARY;
		else if (imap_arg_atom_equals(&list[i], "BODYPARTSTRUCTURE"))
			bit = IMAP_URLFETCH_BODYPARTSTRUCTURE;
		else {
			*error_r = "Unknown URLFETCH parameter";
			return -1;
		}
		if ((out->want & bit) != 0) {
			*error_r = "URLFETCH parameter given twice";
			return -1;
		}
		out->want |= bit;
	}
	/* RFC 5524 3.1: the data once, as stored or decoded */
	if ((out->want & IMAP_URLFETCH_BODY) != 0 && (out->want & IMAP_URLFETCH_BINARY) != 0) {
		*error_r = "URLFETCH cannot take both BODY and BINARY";
		return -1;
	}
	if (out->want == IMAP_URLFETCH_EXTENDED)
		out->want |= IMAP_URLFETCH_BODY;
	return 0;
}

static bool
is_container(const struct mime_part *p)
{
	return (p->flags & (MIME_PART_MULTIPART | MIME_PART_MESSAGE)) != 0 && p->nchildren > 0;
}

static bool
decodes(enum mime_encoding enc)
{
	return enc == MIME_ENC_BASE64 || enc == MIME_ENC_QP;
}

/* Appends the header block hdr[0..len) with the value of its Content-Transfer-Encoding
 * field (folded lines too) replaced by "binary". */
static void
header_cte_binary(const char *hdr, size_t len, struct buf *out)
{
	static const char name[] = "Content-Transfer-Encoding:";
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(hdr + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;

		if (end - pos >= sizeof(name) - 1 &&
		    str_ncasecmp(hdr + pos, name, sizeof(name) - 1) == 0) {
			bool crlf = end >= 2 && hdr[end - 1] == '\n' && hdr[end - 2] == '\r';

			buf_append(out, hdr + pos, sizeof(name) - 1);
			buf_appends(out, crlf ? " binary\r\n" : " binary\n");
			/* skip the continuation lines of the old value */
			while (end < len && (hdr[end] == ' ' || hdr[end] == '\t')) {
				nl = memchr(hdr + end, '\n', len - end);
				end = nl != NULL ? (size_t)(nl - hdr) + 1 : len;
			}
		} else {
			buf_append(out, hdr + pos, end - pos);
		}
		pos = end;
	}
}

static void part_binary(const struct mime_tree *t, uint32_t idx, struct buf *out);

/* The body of part idx with every CTE inside it undone (a part whose CTE is unknown is
 * copied as it is: the caller decides whether that makes the answer NIL). */
static void
body_binary(const struct mime_tree *t, uint32_t idx, struct buf *out)
{
	const struct mime_part *p = &t->parts[idx];
	size_t pos = mime_part_body_off(p), end = pos + p->body_size;

	if (end > t->len)
		end = t->len;
	if (!is_container(p)) {
		if (!decodes(p->enc) || mime_cte_decode(p->enc, t->msg + pos, end - pos, out) < 0)
			buf_append(out, t->msg + pos, end - pos);
		return;
	}
	/* boundaries, preamble and epilogue as they are; the parts converted */
	for (uint32_t c = p->first_child; c != MIME_NONE; c = t->parts[c].next) {
		const struct mime_part *cp = &t->parts[c];

		if (cp->hdr_off >= pos && cp->hdr_off <= end) {
			buf_append(out, t->msg + pos, cp->hdr_off - pos);
			pos = cp->hdr_off;
		}
		part_binary(t, c, out);
		if (mime_part_body_off(cp) + cp->body_size > pos)
			pos = mime_part_body_off(cp) + cp->body_size;
		if (pos > end)
			pos = end;
	}
	buf_append(out, t->msg + pos, end - pos);
}

/* Part idx, header and body, converted: its CTE field says "binary" once undone. */
static void
part_binary(const struct mime_tree *t, uint32_t idx, struct buf *out)
{
	const struct mime_part *p = &t->parts[idx];
	size_t hlen = p->hdr_off + p->hdr_size <= t->len ? p->hdr_size : t->len - p->hdr_off;

	if (!is_container(p) && decodes(p->enc))
		header_cte_binary(t->msg + p->hdr_off, hlen, out);
	else
		buf_append(out, t->msg + p->hdr_off, hlen);
	body_binary(t, idx, out);
}

/* Whether part idx or a part inside it has a CTE that cannot be undone (RFC 3516 4.2). */
static bool
unknown_cte(const struct mime_tree *t, uint32_t idx)
{
	const struct mime_part *p = &t->parts[idx];

	if (!is_container(p))
		return p->enc == MIME_ENC_UNKNOWN;
	for (uint32_t c = p->first_child; c != MIME_NONE; c = t->parts[c].next)
		if (unknown_cte(t, c))
			return true;
	return false;
}

/* Part idx of t as it is in parts (same parser, same pre-order), MIME_NONE if none. */
static uint32_t
find_part(const struct mime_tree *t, const char *section, bool *is_part_r)
{
	struct mime_section_spec spec;
	struct mime_parts parts = {NULL, 0};
	struct buf blob = BUF_INIT;
	const char *error;
	uint32_t idx = MIME_NONE;

	*is_part_r = false;
	if (mime_section_parse(section, strlen(section), &spec, &error) < 0)
		return MIME_NONE;
	*is_part_r = spec.kind == MIME_SECTION_BODY;
	mime_parts_serialize(&blob, t);
	if (*is_part_r && mime_parts_decode(blob.data, blob.len, &parts) == 0 &&
	    parts.count == t->nparts)
		idx = mime_section_part(&parts, &spec);
	mime_parts_free(&parts);
	buf_free(&blob);
	mime_section_spec_free(&spec);
	return idx;
}

/* With BINARY the structure's sizes are the decoded ones: the whole message converted and
 * parsed again gives them, part for part, when it has the same parts (decoded content
 * could look like a boundary: then the stored sizes stay). */
static void
sizes_of_binary(struct mime_tree *t)
{
	struct mime_tree conv;
	struct buf bin = BUF_INIT;

	part_binary(t, 0, &bin);
	mime_tree_parse(&conv, bin.data != NULL ? bin.data : "", bin.len);
	if (conv.nparts == t->nparts) {
		for (size_t i = 0; i < t->nparts; i++) {
			t->parts[i].body_size = conv.parts[i].body_size;
			t->parts[i].body_lines = conv.parts[i].body_lines;
		}
	}
	mime_tree_free(&conv);
	buf_free(&bin);
}

int
imap_urlfetch_part_build(const char *msg, size_t len, const char *section, bool partial,
			 uint64_t partial_offset, uint64_t partial_len, unsigned want,
			 struct imap_urlfetch_part *out)
{
	struct mime_tree t;
	struct buf data = BUF_INIT;
	uint32_t idx = 0;
	bool is_part = true, whole = section == NULL || *section == '\0';

	buf_init(&out->bodystructure);
	buf_init(&out->data);
	out->data_nil = false;
	mime_tree_parse(&t, msg, len);
	if (!whole)
		idx = find_part(&t, section, &is_part);
	if (!is_part || idx == MIME_NONE || idx >= t.nparts) {
		mime_tree_free(&t);
		return -1;
	}
	if ((want & IMAP_URLFETCH_BINARY) != 0) {
		if (unknown_cte(&t, idx))
			out->data_nil = true;
		else if (whole)
			part_binary(&t, 0, &data);
		else
			body_binary(&t, idx, &data);
	} else if ((want & IMAP_URLFETCH_BODY) != 0) {
		/* RFC 3501 6.4.5: BODY[] is the whole message, BODY[n] the part's body (BODY[1]
		 * of a message that is not multipart: its body) */
		const struct mime_part *p = &t.parts[idx];
		size_t from = whole ? 0 : mime_part_body_off(p);
		size_t n = whole ? len : p->body_size;

		if (from <= len && n <= len - from)
			buf_append(&data, msg + from, n);
	}
	/* RFC 5092 3: ;partial= cuts the data sent */
	if (partial) {
		uint64_t start = partial_offset < data.len ? partial_offset : data.len;
		uint64_t n = data.len - start;

		if (partial_len < n)
			n = partial_len;
		buf_append(&out->data, data.data + start, n);
	} else if (data.len > 0) {
		buf_append(&out->data, data.data, data.len);
	}
	if ((want & IMAP_URLFETCH_BODYPARTSTRUCTURE) != 0) {
		if ((want & IMAP_URLFETCH_BINARY) != 0 && !out->data_nil)
			sizes_of_binary(&t);
		imap_bodystructure_write(&out->bodystructure, &t, idx, true);
	}
	buf_free(&data);
	mime_tree_free(&t);
	return 0;
}

void
imap_urlfetch_part_free(struct imap_urlfetch_part *p)
{
	buf_free(&p->bodystructure);
	buf_free(&p->data);
}

void
imap_urlfetch_part_write(struct buf *out, const struct imap_urlfetch_part *p, unsigned want)
{
	const char *sep = "";

	buf_appends(out, " (");
	if ((want & IMAP_URLFETCH_BODYPARTSTRUCTURE) != 0) {
		buf_appends(out, "BODYPARTSTRUCTURE ");
		buf_append(out, buf_cstr(&p->bodystructure), p->bodystructure.len);
		sep = " ";
	}
	if ((want & (IMAP_URLFETCH_BODY | IMAP_URLFETCH_BINARY)) != 0) {
		bool binary = (want & IMAP_URLFETCH_BINARY) != 0;

		buf_appends(out, sep);
		buf_appends(out, binary ? "BINARY " : "BODY ");
		if (p->data_nil) {
			buf_appends(out, "NIL");
		} else {
			/* RFC 3516 4.2: decoded data with a NUL goes as literal8 */
			buf_printf(out, "%s{%zu}\r\n",
				   binary && mime_cte_has_nul(buf_cstr(&p->data), p->data.len) ? "~"
											       : "",
				   p->data.len);
			buf_append(out, buf_cstr(&p->data), p->data.len);
		}
	}
	buf_appendc(out, ')');
}
