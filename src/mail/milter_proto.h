/* The milter protocol, version 6 (the Sendmail/Postfix content filter protocol; there is
 * no RFC: the reference is Sendmail's libmilter/mfdef.h and Postfix's milter8.c), as a
 * pure codec: packet framing, the MTA's commands, the filter's replies and the option
 * negotiation. No I/O: src/filter drives the conversation.
 *
 * A packet is a 4-byte big-endian length (of what follows), one command byte and the
 * payload; strings in a payload are NUL-terminated, numbers 4-byte big-endian. */
#ifndef MAIL_MILTER_PROTO_H
#define MAIL_MILTER_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define MILTER_VERSION 6
/* Body chunks are at most this long (libmilter's MILTER_CHUNK_SIZE). */
#define MILTER_CHUNK_SIZE 65535
/* The longest reply packet accepted: a body chunk of 64 KiB or a header field, with room to
 * spare (libmilter's own limit for what it reads is 64 KiB + overhead; larger is hostile). */
#define MILTER_MAX_PACKET (1024 * 1024)

/* Commands (MTA -> filter), mfdef.h SMFIC_*. */
enum milter_cmd {
	MILTER_CMD_ABORT = 'A',
	MILTER_CMD_BODY = 'B',
	MILTER_CMD_CONNECT = 'C',
	MILTER_CMD_MACRO = 'D',
	MILTER_CMD_EOM = 'E', /* SMFIC_BODYEOB */
	MILTER_CMD_HELO = 'H',
	MILTER_CMD_QUIT_NC = 'K',
	MILTER_CMD_HEADER = 'L',
	MILTER_CMD_MAIL = 'M',
	MILTER_CMD_EOH = 'N',
	MILTER_CMD_OPTNEG = 'O',
	MILTER_CMD_QUIT = 'Q',
	MILTER_CMD_RCPT = 'R',
	MILTER_CMD_DATA = 'T',
	MILTER_CMD_UNKNOWN = 'U',
};

/* Replies (filter -> MTA), mfdef.h SMFIR_*. */
enum milter_reply_cmd {
	MILTER_R_ADDRCPT = '+',
	MILTER_R_DELRCPT = '-',
	MILTER_R_ADDRCPT_PAR = '2',
	MILTER_R_SHUTDOWN = '4',
	MILTER_R_ACCEPT = 'a',
	MILTER_R_REPLBODY = 'b',
	MILTER_R_CONTINUE = 'c',
	MILTER_R_DISCARD = 'd',
	MILTER_R_CHGFROM = 'e',
	MILTER_R_CONN_FAIL = 'f',
	MILTER_R_ADDHEADER = 'h',
	MILTER_R_INSHEADER = 'i',
	MILTER_R_SETSYMLIST = 'l',
	MILTER_R_CHGHEADER = 'm',
	MILTER_R_PROGRESS = 'p',
	MILTER_R_QUARANTINE = 'q',
	MILTER_R_REJECT = 'r',
	MILTER_R_SKIP = 's',
	MILTER_R_TEMPFAIL = 't',
	MILTER_R_REPLYCODE = 'y',
	MILTER_R_OPTNEG = 'O',
};

/* Protocol flags of the negotiation (SMFIP_*): steps the filter does not want (NO*) and
 * steps it will not answer (NR_*). */
#define MILTER_P_NOCONNECT 0x000001u
#define MILTER_P_NOHELO 0x000002u
#define MILTER_P_NOMAIL 0x000004u
#define MILTER_P_NORCPT 0x000008u
#define MILTER_P_NOBODY 0x000010u
#define MILTER_P_NOHDRS 0x000020u
#define MILTER_P_NOEOH 0x000040u
#define MILTER_P_NR_HDR 0x000080u
#define MILTER_P_NOUNKNOWN 0x000100u
#define MILTER_P_NODATA 0x000200u
#define MILTER_P_SKIP 0x000400u     /* the MTA understands SMFIR_SKIP */
#define MILTER_P_RCPT_REJ 0x000800u /* send rejected recipients too */
#define MILTER_P_NR_CONN 0x001000u
#define MILTER_P_NR_HELO 0x002000u
#define MILTER_P_NR_MAIL 0x004000u
#define MILTER_P_NR_RCPT 0x008000u
#define MILTER_P_NR_DATA 0x010000u
#define MILTER_P_NR_UNKN 0x020000u
#define MILTER_P_NR_EOH 0x040000u
#define MILTER_P_NR_BODY 0x080000u
#define MILTER_P_HDR_LEADSPC 0x100000u
/* What this MTA offers: every step flag above (Postfix 3.x offers the same set). */
#define MILTER_P_OFFERED 0x1fffffu

/* Actions the filter may take (SMFIF_*). */
#define MILTER_F_ADDHDRS 0x001u
#define MILTER_F_CHGBODY 0x002u
#define MILTER_F_ADDRCPT 0x004u
#define MILTER_F_DELRCPT 0x008u
#define MILTER_F_CHGHDRS 0x010u
#define MILTER_F_QUARANTINE 0x020u
#define MILTER_F_CHGFROM 0x040u
#define MILTER_F_ADDRCPT_PAR 0x080u
#define MILTER_F_SETSYMLIST 0x100u
#define MILTER_F_OFFERED 0x1ffu

/* Macro stages of SMFIR_SETSYMLIST (SMFIM_*). */
enum milter_macro_stage {
	MILTER_M_CONNECT = 0,
	MILTER_M_HELO = 1,
	MILTER_M_ENVFROM = 2,
	MILTER_M_ENVRCPT = 3,
	MILTER_M_DATA = 4,
	MILTER_M_EOM = 5,
	MILTER_M_EOH = 6,
	MILTER_M_COUNT = 7,
};

/* ---- encoding: each call appends one whole packet to out ---- */

void milter_put_optneg(struct buf *out, uint32_t version, uint32_t actions, uint32_t protocol);
/* SMFIC_CONNECT. ip "" or NULL: family 'U' (unknown: no address, sendmail pickup). A ':' in
 * ip makes it family '6', else '4'. */
void milter_put_connect(struct buf *out, const char *hostname, const char *ip, unsigned port);
/* SMFIC_MACRO for the command `for`: pairs is name, value, name, value, ..., NULL. Pairs
 * with a NULL value end the list too; a pair whose value is "" is left out. Names longer
 * than one character are sent in braces ("daemon_name" -> "{daemon_name}") unless they
 * already are. */
void milter_put_macros(struct buf *out, char cmd_for, const char *const *pairs);
/* A command whose payload is n NUL-terminated strings (HELO: 1, MAIL/RCPT: the address in
 * <> then its ESMTP parameters, HEADER: name and value, UNKNOWN: 1). */
void milter_put_strings(struct buf *out, char cmd, const char *const *strs, size_t n);
/* SMFIC_BODY with len <= MILTER_CHUNK_SIZE bytes. */
void milter_put_body(struct buf *out, const char *data, size_t len);
/* A command without payload (DATA, EOH, EOM, ABORT, QUIT, QUIT_NC). */
void milter_put_cmd(struct buf *out, char cmd);

/* ---- decoding ---- */

/* Finds the packet at the start of data[0..len). 1: a packet, its command in *cmd_r, its
 * payload in *payload_r, its length in *plen_r (pointers into data), its whole size in *used_r; 0:
 * more bytes are needed; -1: malformed (length 0 or above max): the connection is unusable. */
int milter_frame(const char *data, size_t len, size_t max, char *cmd_r, const char **payload_r,
		 size_t *plen_r, size_t *used_r);

/* One reply, decoded. Strings point into the payload (which ends in their NUL). */
struct milter_reply {
	char cmd; /* enum milter_reply_cmd */
	/* OPTNEG */
	uint32_t version, actions, protocol;
	const char *symlists; /* SETSYMLIST entries after the three numbers (milter_symlist_next) */
	size_t symlists_len;
	/* INSHEADER/CHGHEADER: index; CHGHEADER index is 1-based among fields of that name */
	uint32_t index;
	/* ADDHEADER/INSHEADER/CHGHEADER: name, value. ADDRCPT/DELRCPT/ADDRCPT_PAR/CHGFROM:
	 * the address in str1, ESMTP parameters in str2 (or NULL). QUARANTINE: the reason.
	 * REPLYCODE: the reply text ("550 5.7.1 text", lines separated by CRLF). */
	const char *str1, *str2;
	/* REPLBODY: a piece of the new body */
	const char *data;
	size_t len;
};

/* Decodes a packet's payload for the reply command cmd. 0 ok; -1 malformed (unknown
 * command, a string without its NUL, a number cut short, a REPLYCODE that is not
 * "4xx/5xx text" with the same code on every line, a header name that is empty or has
 * characters outside 33-126 but ':'). */
int milter_parse_reply(char cmd, const char *payload, size_t len, struct milter_reply *r);

/* Walks the SETSYMLIST entries of an OPTNEG reply: 1 one entry (*stage_r, *macros_r: a
 * NUL-terminated space-separated list pointing into the payload), 0 at the end, -1
 * malformed. *p and *len advance. */
int milter_symlist_next(const char **p, size_t *len, uint32_t *stage_r, const char **macros_r);

/* Whether a reply is one of the final answers to a step that wants one (accept, continue,
 * discard, reject, tempfail, replycode, skip) as opposed to a modification or progress. */
bool milter_reply_is_final(char cmd);

#endif
