/* RFC 5256 3: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES. */
#include "imap/imap_thread.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"
#include "util/xmalloc.h"

int
imap_thread_parse_alg(const char *name, enum imap_thread_alg *alg_r)
{
	if (str_casecmp(name, "REFERENCES") == 0)
		*alg_r = IMAP_THREAD_REFERENCES;
	else if (str_casecmp(name, "ORDEREDSUBJECT") == 0)
		*alg_r = IMAP_THREAD_ORDEREDSUBJECT;
	else
		return -1;
	return 0;
}

/* A container (RFC 5256 REFERENCES step 1): a message, or a dummy (msg -1) for a
 * Message-ID that is only referenced. */
struct node {
	long msg;
	long parent;
	long *kids;
	size_t n_kids, cap_kids;
	int64_t date;   /* sent date; a dummy's is its first child's (step 4) */
	uint32_t seq;   /* tie-break: mailbox order */
	const char *id; /* the Message-ID it stands for (NULL: none, not in the table) */
	size_t id_len;
};

struct forest {
	const struct imap_sort_msg *msgs;
	const char *arena;
	bool uid;
	struct node *nodes;
	size_t n, cap;
	long *table; /* Message-ID -> node, open addressing, -1 empty */
	size_t table_cap, table_count;
	long *roots;
	size_t n_roots;
	/* every message has its base subject's rank (the sort cache's, imap_sort_rank):
	 * subjects then compare and hash as integers */
	bool ranked;
};

static long
node_new(struct forest *f, long msg)
{
	struct node *nd;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->nodes = xrealloc(f->nodes, f->cap * sizeof(*f->nodes));
	}
	nd = &f->nodes[f->n];
	memset(nd, 0, sizeof(*nd));
	nd->msg = msg;
	nd->parent = -1;
	if (msg >= 0) {
		nd->date = f->msgs[msg].date;
		nd->seq = f->msgs[msg].seq;
	}
	return (long)f->n++;
}

static void
kid_add(struct forest *f, long parent, long kid)
{
	struct node *p = &f->nodes[parent];

	if (p->n_kids == p->cap_kids) {
		p->cap_kids = p->cap_kids ? p->cap_kids * 2 : 4;
		p->kids = xrealloc(p->kids, p->cap_kids * sizeof(*p->kids));
	}
	p->kids[p->n_kids++] = kid;
	f->nodes[kid].parent = parent;
}

static void
unlink_parent(struct forest *f, long kid)
{
	long parent = f->nodes[kid].parent;
	struct node *p;

	if (parent < 0)
		return;
	p = &f->nodes[parent];
	for (size_t i = 0; i < p->n_kids; i++) {
		if (p->kids[i] == kid) {
			memmove(&p->kids[i], &p->kids[i + 1], (p->n_kids - i - 1) * sizeof(long));
			p->n_kids--;
			break;
		}
	}
	f->nodes[kid].parent = -1;
}

/* Whether a is b or below b. A walk up from a, except when b has no children (the
 * usual case, a message seen for the first time): a long chain of replies costs linear
 * time, not quadratic. */
static bool
is_under(const struct forest *f, long a, long b)
{
	if (f->nodes[b].n_kids == 0)
		return a == b;
	for (; a >= 0; a = f->nodes[a].parent) {
		if (a == b)
			return true;
	}
	return false;
}

/* Message-IDs are 30-60 octets: 8 at a time (a byte-wise FNV-1a was a fifth of a THREAD
 * REFERENCES of 10,000 messages), the rest FNV-1a; the table uses the low bits. */
static uint64_t
hash_id(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ^ (h >> 32);
}

static long *
table_slot(struct forest *f, const char *id, size_t len)
{
	size_t mask = f->table_cap - 1, i = (size_t)hash_id(id, len) & mask;

	for (;; i = (i + 1) & mask) {
		long nd = f->table[i];

		if (nd < 0 || (f->nodes[nd].id_len == len && memcmp(f->nodes[nd].id, id, len) == 0))
			return &f->table[i];
	}
}

static void
table_grow(struct forest *f)
{
	long *old = f->table;
	size_t old_cap = f->table_cap;

	f->table_cap = old_cap ? old_cap * 2 : 256;
	f->table = xmalloc(f->table_cap * sizeof(long));
	for (size_t i = 0; i < f->table_cap; i++)
		f->table[i] = -1;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i] >= 0)
			*table_slot(f, f->nodes[old[i]].id, f->nodes[old[i]].id_len) = old[i];
	}
	free(old);
}

/* The container of a Message-ID (compared octet for octet), a new dummy if none. */
static long
container_of(struct forest *f, const char *id, size_t len)
{
	long *slot, nd;

	if ((f->table_count + 1) * 2 > f->table_cap)
		table_grow(f);
	slot = table_slot(f, id, len);
	if (*slot >= 0)
		return *slot;
	nd = node_new(f, -1);
	f->nodes[nd].id = id;
	f->nodes[nd].id_len = len;
	*slot = nd;
	f->table_count++;
	return nd;
}

static const char *
msg_key(const struct forest *f, long msg, enum msg_sortkey k, size_t *len_r)
{
	*len_r = f->msgs[msg].len[k];
	return f->arena + f->msgs[msg].off[k];
}

/* Base subjects in octet order (as imap_sort_rank ranks them). */
static int
cmp_subjects(const struct forest *f, long a, long b)
{
	size_t la, lb;
	const char *sa, *sb;
	int r;

	if (f->ranked) {
		uint32_t ra = f->msgs[a].rank[MSG_SORTKEY_SUBJECT];
		uint32_t rb = f->msgs[b].rank[MSG_SORTKEY_SUBJECT];

		return ra < rb ? -1 : ra > rb;
	}
	sa = msg_key(f, a, MSG_SORTKEY_SUBJECT, &la);
	sb = msg_key(f, b, MSG_SORTKEY_SUBJECT, &lb);
	r = memcmp(sa, sb, la < lb ? la : lb);
	if (r != 0)
		return r;
	return la < lb ? -1 : la > lb;
}

/* Step 1: containers and their links, message by message. */
static void
build_links(struct forest *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len, rlen;
		const char *id = msg_key(f, (long)i, MSG_SORTKEY_MESSAGE_ID, &len);
		const char *refs = msg_key(f, (long)i, MSG_SORTKEY_REFERENCES, &rlen);
		const char *p, *end;
		long m = -1, prev = -1;

		if (len > 0) {
			m = container_of(f, id, len);
			if (f->nodes[m].msg >= 0) {
				m = -1; /* a duplicate Message-ID: treated as having none */
			} else {
				f->nodes[m].msg = (long)i;
				f->nodes[m].date = f->msgs[i].date;
				f->nodes[m].seq = f->msgs[i].seq;
			}
		}
		if (m < 0)
			m = node_new(f, (long)i);
		/* (A) the References ids (or else In-Reply-To's first), each the parent of
		 * the next unless that one has a parent already or it would make a loop */
		if (rlen == 0)
			refs = msg_key(f, (long)i, MSG_SORTKEY_IN_REPLY_TO, &rlen);
		p = refs;
		end = refs + rlen;
		while (p < end) {
			const char *sp = memchr(p, ' ', (size_t)(end - p));
			size_t l = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
			long c = l > 0 ? container_of(f, p, l) : -1;

			if (c >= 0) {
				if (prev >= 0 && f->nodes[c].parent < 0 && !is_under(f, prev, c))
					kid_add(f, prev, c);
				prev = c;
			}
			p += l + 1;
		}
		/* (B) the message goes under the last one; a parent it had (from another
		 * message's References, maybe truncated) is dropped first */
		unlink_parent(f, m);
		if (prev >= 0 && !is_under(f, prev, m))
			kid_add(f, prev, m);
	}
}

/* Nodes in an order where every node comes after its parent (pre-order), iteratively. */
static long *
preorder(const struct forest *f, size_t *n_r)
{
	long *out = xmalloc((f->n + 1) * sizeof(long)), *stack = xmalloc((f->n + 1) * sizeof(long));
	size_t n = 0, sp = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->nodes[i].parent >= 0)
			continue;
		stack[sp++] = (long)i;
		while (sp > 0) {
			long nd = stack[--sp];

			out[n++] = nd;
			for (size_t k = 0; k < f->nodes[nd].n_kids; k++)
				stack[sp++] = f->nodes[nd].kids[k];
		}
	}
	free(stack);
	*n_r = n;
	return out;
}

/* Step 3: dummies without children go; a dummy's children take its place, except at
 * the root when it has more than one. Children before parents, so the children a
 * dummy hands on are dummy-free already. */
static void
prune(struct forest *f)
{
	size_t n;
	long *order = preorder(f, &n);
	long *kids = NULL;
	size_t cap = 0;

	for (size_t o = n; o-- > 0;) {
		struct node *p = &f->nodes[order[o]];
		size_t nk = 0;

		for (size_t k = 0; k < p->n_kids; k++) {
			struct node *c = &f->nodes[p->kids[k]];
			size_t add = c->msg < 0 ? c->n_kids : 1;

			if (nk + add > cap) {
				cap = (nk + add) * 2;
				kids = xrealloc(kids, cap * sizeof(long));
			}
			if (c->msg >= 0) {
				kids[nk++] = p->kids[k];
				continue;
			}
			for (size_t g = 0; g < c->n_kids; g++) {
				kids[nk++] = c->kids[g];
				f->nodes[c->kids[g]].parent = order[o];
			}
			c->n_kids = 0;
			c->parent = -2; /* gone */
		}
		if (nk > p->cap_kids) {
			p->cap_kids = nk;
			p->kids = xrealloc(p->kids, nk * sizeof(long));
		}
		if (nk > 0)
			memcpy(p->kids, kids, nk * sizeof(long));
		p->n_kids = nk;
	}
	free(kids);
	free(order);
	/* the root set: the nodes without a parent, collected before any dummy hands its
	 * child up (a child after its dummy in the node array would be counted twice) */
	f->roots = xmalloc((f->n + 1) * sizeof(long));
	order = xmalloc((f->n + 1) * sizeof(long));
	n = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (f->nodes[i].parent == -1)
			order[n++] = (long)i;
	}
	for (size_t o = 0; o < n; o++) {
		long i = order[o];
		struct node *r = &f->nodes[i];

		if (r->msg < 0 && r->n_kids == 0)
			continue;
		if (r->msg < 0 && r->n_kids == 1) {
			f->nodes[r->kids[0]].parent = -1;
			f->roots[f->n_roots++] = r->kids[0];
			r->n_kids = 0;
			continue;
		}
		f->roots[f->n_roots++] = i;
	}
	free(order);
}

static int
cmp_nodes(const void *pa, const void *pb, void *arg)
{
	const struct forest *f = arg;
	const struct node *a = &f->nodes[*(const long *)pa], *b = &f->nodes[*(const long *)pb];

	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct dated {
	uint64_t key; /* the date's order as unsigned */
	uint32_t seq;
	long nd;
};

/* One stable LSD radix pass per byte of the field that is not the same in every entry. */
static void
radix_passes(struct dated **a, struct dated **b, size_t n, bool by_seq)
{
	size_t count[256];

	for (unsigned shift = 0; shift < (by_seq ? 32u : 64u); shift += 8) {
		size_t pos = 0;
		struct dated *t;

#define DIGIT(e) ((size_t)(((by_seq ? (uint64_t)(e).seq : (e).key) >> shift) & 0xff))
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[DIGIT((*a)[i])]++;
		if (count[DIGIT((*a)[0])] == n)
			continue;
		for (size_t d = 0; d < 256; d++) {
			size_t k = count[d];

			count[d] = pos;
			pos += k;
		}
		for (size_t i = 0; i < n; i++)
			(*b)[count[DIGIT((*a)[i])]++] = (*a)[i];
#undef DIGIT
		t = *a;
		*a = *b;
		*b = t;
	}
}

/* nds by (date, seq), as cmp_nodes orders them: by seq, then stably by date (the roots
 * of 10,000 messages: qsort's comparisons, each two nodes far apart in memory, were a
 * quarter of a THREAD REFERENCES). */
static void
sort_by_date(struct forest *f, long *nds, size_t n)
{
	struct dated *a, *b;

	if (n < 64) {
		if (n > 1)
			qsort_r(nds, n, sizeof(long), cmp_nodes, f);
		return;
	}
	a = xmalloc(xsize_mul(n, 2 * sizeof(*a)));
	b = a + n;
	for (size_t i = 0; i < n; i++) {
		const struct node *nd = &f->nodes[nds[i]];

		a[i] = (struct dated){(uint64_t)nd->date ^ (1ull << 63), nd->seq, nds[i]};
	}
	radix_passes(&a, &b, n, true);
	radix_passes(&a, &b, n, false);
	for (size_t i = 0; i < n; i++)
		nds[i] = a[i].nd;
	free(a < b ? a : b);
}

/* Steps 4 and 6: siblings by sent date (then mailbox order); a dummy (only at the root)
 * dates from its first child. */
static void
sort_all(struct forest *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct node *nd = &f->nodes[i];

		if (nd->n_kids > 1)
			sort_by_date(f, nd->kids, nd->n_kids);
	}
	for (size_t i = 0; i < f->n_roots; i++) {
		struct node *r = &f->nodes[f->roots[i]];

		if (r->msg < 0 && r->n_kids > 0) {
			r->date = f->nodes[r->kids[0]].date;
			r->seq = f->nodes[r->kids[0]].seq;
		}
	}
	sort_by_date(f, f->roots, f->n_roots);
}

/* The message whose subject a root stands for: itself, or a dummy's first child. */
static long
subject_msg(const struct forest *f, long nd)
{
	const struct node *r = &f->nodes[nd];

	return r->msg >= 0 ? r->msg : r->n_kids > 0 ? f->nodes[r->kids[0]].msg : -1;
}

struct subj_entry {
	long msg; /* whose base subject the key is */
	long node;
};

/* Step 5: roots with the same base subject are gathered. */
static void
group_subjects(struct forest *f)
{
	size_t cap = 16;
	struct subj_entry *tab;
	size_t mask;

	while (cap < f->n_roots * 2 + 2)
		cap *= 2;
	mask = cap - 1;
	tab = xmalloc(cap * sizeof(*tab));
	for (size_t i = 0; i < cap; i++)
		tab[i].node = -1;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t r = 0; r < f->n_roots; r++) {
			long nd = f->roots[r], m;
			struct node *cur;
			const char *s;
			size_t len, h;

			if (nd < 0 || (m = subject_msg(f, nd)) < 0)
				continue;
			cur = &f->nodes[nd];
			s = msg_key(f, m, MSG_SORTKEY_SUBJECT, &len);
			if (len == 0)
				continue;
			h = f->ranked ? (size_t)f->msgs[m].rank[MSG_SORTKEY_SUBJECT] * 2654435761u
				      : (size_t)hash_id(s, len);
			for (h &= mask; tab[h].node >= 0 && cmp_subjects(f, tab[h].msg, m) != 0;
			     h = (h + 1) & mask)
				;
			if (pass == 0) {
				/* (B) prefer a dummy, then a message that is not a reply */
				struct node *old = tab[h].node >= 0 ? &f->nodes[tab[h].node] : NULL;

				if (old == NULL || (cur->msg < 0 && old->msg >= 0) ||
				    (old->msg >= 0 && cur->msg >= 0 && f->msgs[old->msg].reply &&
				     !f->msgs[cur->msg].reply)) {
					tab[h].node = nd;
					tab[h].msg = m;
				}
				continue;
			}
			/* (C) merge with the table's container */
			if (tab[h].node == nd)
				continue;
			{
				long t = tab[h].node;
				struct node *tn = &f->nodes[t];

				if (tn->msg < 0 && cur->msg < 0) {
					for (size_t k = 0; k < cur->n_kids; k++)
						kid_add(f, t, cur->kids[k]);
					cur->n_kids = 0;
				} else if (tn->msg < 0) {
					kid_add(f, t, nd);
				} else if (cur->msg < 0) {
					/* (pass 0 puts dummies in the table: not reached) */
					continue;
				} else if (!f->msgs[tn->msg].reply && f->msgs[cur->msg].reply) {
					kid_add(f, t, nd);
				} else {
					long d = node_new(f, -1);
					size_t pos;

					tn = &f->nodes[t]; /* node_new may move the array */
					for (pos = 0; pos < f->n_roots && f->roots[pos] != t; pos++)
						;
					kid_add(f, d, t);
					kid_add(f, d, nd);
					f->roots[pos] = d;
					tab[h].node = d;
				}
				f->roots[r] = -1;
			}
		}
	}
	free(tab);
	{
		size_t k = 0;

		for (size_t r = 0; r < f->n_roots; r++) {
			if (f->roots[r] >= 0)
				f->roots[k++] = f->roots[r];
		}
		f->n_roots = k;
	}
}

/* "(a b (c)(d))": a node's one child follows it in the same list, several children are
 * each a parenthesized list; a dummy writes only its children. Iterative. */
struct frame {
	long nd;
	size_t k;
};

/* st: room for f->n frames (the depth is at most the number of nodes) */
static void
write_tree(const struct forest *f, long root, struct frame *st, struct buf *out)
{
	size_t sp = 0;

	buf_appendc(out, '(');
	st[sp++] = (struct frame){root, 0};
	while (sp > 0) {
		struct frame *fr = &st[sp - 1];
		const struct node *nd = &f->nodes[fr->nd];

		if (fr->k == 0 && nd->msg >= 0) {
			const struct imap_sort_msg *m = &f->msgs[nd->msg];

			imap_sort_append_u32(out, f->uid ? m->uid : m->seq);
			if (nd->n_kids > 0)
				buf_appendc(out, ' ');
		}
		if (nd->n_kids == 1) {
			if (fr->k++ == 0) {
				st[sp++] = (struct frame){nd->kids[0], 0};
				continue;
			}
		} else if (fr->k < nd->n_kids) {
			if (fr->k > 0)
				buf_appendc(out, ')');
			buf_appendc(out, '(');
			st[sp++] = (struct frame){nd->kids[fr->k++], 0};
			continue;
		} else if (nd->n_kids > 1) {
			buf_appendc(out, ')');
		}
		sp--;
	}
	buf_appendc(out, ')');
}

static void
write_roots(const struct forest *f, struct buf *out)
{
	struct frame *st = xmalloc((f->n + 1) * sizeof(*st));

	for (size_t r = 0; r < f->n_roots; r++)
		write_tree(f, f->roots[r], st, out);
	free(st);
}

static void
forest_free(struct forest *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->nodes[i].kids);
	free(f->nodes);
	free(f->table);
	free(f->roots);
}

static void
thread_references(struct forest *f, size_t n, struct buf *out)
{
	build_links(f, n);
	prune(f);
	sort_all(f);
	group_subjects(f);
	sort_all(f);
	write_roots(f, out);
}

static int
cmp_ordered(const void *pa, const void *pb, void *arg)
{
	const struct forest *f = arg;
	long a = *(const long *)pa, b = *(const long *)pb;
	int r = cmp_subjects(f, a, b);

	if (r != 0)
		return r;
	if (f->msgs[a].date != f->msgs[b].date)
		return f->msgs[a].date < f->msgs[b].date ? -1 : 1;
	return f->msgs[a].seq < f->msgs[b].seq ? -1 : f->msgs[a].seq > f->msgs[b].seq;
}

/* ORDEREDSUBJECT: by base subject then sent date; each subject is a thread whose first
 * message is the parent of all the others; threads by their first message's date. */
static void
thread_orderedsubject(struct forest *f, size_t n, struct buf *out)
{
	long *order = xmalloc((n + 1) * sizeof(long));

	for (size_t i = 0; i < n; i++) {
		order[i] = (long)i;
		node_new(f, (long)i);
	}
	if (n > 1)
		qsort_r(order, n, sizeof(long), cmp_ordered, f);
	f->roots = xmalloc((n + 1) * sizeof(long));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		for (; j < n && cmp_subjects(f, order[i], order[j]) == 0; j++)
			kid_add(f, order[i], order[j]);
		f->roots[f->n_roots++] = order[i];
		i = j;
	}
	free(order);
	sort_by_date(f, f->roots, f->n_roots);
	write_roots(f, out);
}

void
imap_thread_write(enum imap_thread_alg alg, const struct imap_sort_msg *msgs, size_t n,
		  const char *arena, bool uid, struct buf *out)
{
	struct forest f = {.msgs = msgs, .arena = arena != NULL ? arena : "", .uid = uid};

	f.ranked = true;
	for (size_t i = 0; i < n && f.ranked; i++)
		f.ranked = msgs[i].rank[MSG_SORTKEY_SUBJECT] != 0;

	if (alg == IMAP_THREAD_REFERENCES)
		thread_references(&f, n, out);
	else
		thread_orderedsubject(&f, n, out);
	forest_free(&f);
}
