"""A realistic, seeded mailbox for bench/imap/run --realistic (issue 11, "Read paths on a
realistic mailbox"): 60 % text/plain, 15 % multipart/alternative (text + HTML), 25 %
multipart/mixed with a base64 attachment; sizes 0.4-31 KB, median about 2.6 KB, about 62 MB
for 10,000 messages. A tenth of the subjects and a tenth of the sender names are RFC 2047
encoded words (UTF-8, Q or B). Known words for the searches (each in 1 % of the messages):
SUBJECT_WORD in the subject, BODY_WORD in a text body, FROM_WORD in the sender's address.
gen(n, seed) returns (messages as bytes with CRLF, {search key: expected count})."""

import base64
import random

SUBJECT_WORD = 'quarterly'
BODY_WORD = 'zebracorn'
FROM_WORD = 'harbormaster'
WORDS = ('the of and to in is was for on that with as by at from this have not are but '
         'meeting report budget project review plan team update status draft invoice order '
         'server client release notes schedule agenda minutes summary figures customer '
         'account payment delivery shipment contract proposal feedback question answer').split()
NAMES = ('Anna Berg', 'Jürgen Müller', 'Zoë Lefèvre', 'Li Wei', 'Ólafur Jónsson', 'Maria Silva',
         'John Smith', 'Søren Kierkegaard', 'Ana García', 'Tomás Ruiz')
MIME_TYPES = (('application', 'pdf', 'report.pdf'), ('image', 'png', 'photo.png'),
              ('application', 'zip', 'archive.zip'), ('image', 'jpeg', 'scan.jpg'))


def _text(rnd, nbytes, word=None):
    words, size = [], 0
    while size < nbytes:
        w = rnd.choice(WORDS)
        words.append(w)
        size += len(w) + 1
    if word:
        words.insert(rnd.randrange(len(words) + 1), word)
    lines = [' '.join(words[k:k + 12]) for k in range(0, len(words), 12)]
    return '\r\n'.join(lines) + '\r\n'


def _encoded(rnd, text):
    """RFC 2047 encoded word (UTF-8), Q or B."""
    raw = text.encode()
    if rnd.random() < 0.5:
        return '=?UTF-8?B?%s?=' % base64.b64encode(raw).decode()
    q = ''.join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else
                ('_' if b == 32 else '=%02X' % b) for b in raw)
    return '=?UTF-8?Q?%s?=' % q


def _text_size(rnd):
    """Log-normal text size: median about 1.2 KB, between 0.2 and 14 KB."""
    return int(min(14000, max(200, rnd.lognormvariate(7.1, 0.8))))


def gen(n, seed=11, user='bench', domain='bench.test'):
    rnd = random.Random(seed)
    out = []
    want = {'subject': 0, 'body': 0, 'from': 0}
    for i in range(n):
        kind = rnd.random()
        has_subject = i % 100 == 11
        has_body = i % 100 == 37
        has_from = i % 100 == 59
        want['subject'] += has_subject
        want['body'] += has_body
        want['from'] += has_from
        name = rnd.choice(NAMES)
        local = FROM_WORD if has_from else 'sender%d' % (i % 211)
        sender = '%s <%s@remote%d.test>' % (
            _encoded(rnd, name) if i % 10 == 3 else '"%s"' % name.encode('ascii', 'replace')
            .decode().replace('?', 'e'), local, i % 17)
        subj_words = [rnd.choice(WORDS) for _ in range(rnd.randint(2, 9))]
        subj = ' '.join(subj_words)
        if i % 10 == 7 and not has_subject:
            subj = _encoded(rnd, subj + ' – ' + rnd.choice(NAMES))
        elif has_subject:
            subj += ' ' + SUBJECT_WORD
        if rnd.random() < 0.3:
            subj = 'Re: ' + subj
        hdr = ('Return-Path: <%s@remote%d.test>\r\n'
               'Received: from mx%d.remote%d.test (mx%d.remote%d.test [192.0.2.%d])\r\n'
               '\tby mail.example.net with ESMTPS id %08x\r\n'
               '\tfor <%s@%s>; Mon, 4 Mar 2024 %02d:%02d:%02d +0100\r\n'
               'From: %s\r\nTo: %s@%s\r\n%sSubject: %s\r\n'
               'Date: Mon, 4 Mar 2024 %02d:%02d:%02d +0100\r\n'
               'Message-ID: <%d.%08x@remote%d.test>\r\n%sMIME-Version: 1.0\r\n'
               % (local, i % 17, i % 5, i % 17, i % 5, i % 17, i % 250 + 1,
                  rnd.getrandbits(32), user, domain, i % 24, i % 60, i % 59,
                  sender, user, domain,
                  ('Cc: other%d@remote.test, "Team %d" <team%d@remote.test>\r\n'
                   % (i % 13, i % 7, i % 7)) if rnd.random() < 0.4 else '',
                  subj, i % 24, i % 60, i % 59, i, rnd.getrandbits(32), i % 17,
                  ('In-Reply-To: <%d.prev@remote.test>\r\n' % (i - 1)) if subj.startswith('Re:')
                  else ''))
        text = _text(rnd, _text_size(rnd), BODY_WORD if has_body else None)
        b = 'b%d_%08x' % (i, rnd.getrandbits(32))
        if kind < 0.60:
            body = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + text
        elif kind < 0.75:
            html = '<html><body><p>%s</p></body></html>\r\n' % text.replace('\r\n', '<br>\r\n')
            body = ('Content-Type: multipart/alternative; boundary="%s"\r\n\r\n'
                    '--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s'
                    '--%s\r\nContent-Type: text/html; charset=utf-8\r\n'
                    'Content-Transfer-Encoding: quoted-printable\r\n\r\n%s'
                    '--%s--\r\n' % (b, b, text, b, html, b))
        else:
            major, minor, fname = rnd.choice(MIME_TYPES)
            att = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(3700, 19000)))
            enc = base64.encodebytes(att).decode().replace('\n', '\r\n')
            body = ('Content-Type: multipart/mixed; boundary="%s"\r\n\r\n'
                    'This is a multi-part message in MIME format.\r\n'
                    '--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s'
                    '--%s\r\nContent-Type: %s/%s; name="%s"\r\n'
                    'Content-Disposition: attachment; filename="%s"\r\n'
                    'Content-Transfer-Encoding: base64\r\n\r\n%s'
                    '--%s--\r\n' % (b, b, _text(rnd, _text_size(rnd) // 3,
                                                       BODY_WORD if has_body else None),
                                    b, major, minor,
                                    fname, fname, enc, b))
        out.append((hdr + body).encode())
    return out, want


if __name__ == '__main__':
    msgs, want = gen(10000)
    sizes = sorted(map(len, msgs))
    print('%d messages, %.1f MB, min %d, median %d, max %d, %r'
          % (len(sizes), sum(sizes) / 1e6, sizes[0], sizes[len(sizes) // 2], sizes[-1], want))
