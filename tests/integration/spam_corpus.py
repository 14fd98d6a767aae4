"""A seeded generator of spam and ham messages for the spam filter's tests: templates with
varied vocabulary (sentences drawn from word pools, names, amounts, links), so that no two
messages are alike and a held-out set tests what the classifier learned, not memorised
messages. Both kinds share a pool of everyday words, headers have the same shape (Date,
Message-ID, From, To, Subject, MIME), and some of each are HTML or quoted-printable."""
import email.utils
import quopri
import random

COMMON = ("the and for you with this that have from will are your our about all more "
          "time today just please know here there what when which would could also new "
          "one two get make like see take good great thanks hello hope well week").split()

HAM_WORDS = {
    "work": ("meeting agenda project deadline review draft report quarterly budget "
             "colleague schedule minutes slides proposal milestone sprint retrospective "
             "release notes feedback roadmap stakeholder invoice contract attached "
             "spreadsheet presentation conference room calendar").split(),
    "family": ("dinner sunday weekend kids school birthday party grandma garden "
               "holiday photos trip beach recipe cake visit cousin wedding anniversary "
               "movie saturday picnic soccer practice homework").split(),
    "tech": ("server deployment database migration patch kernel compile build test "
             "pipeline repository branch merge commit bug issue backup monitoring "
             "latency config logs debugger library documentation").split(),
    "club": ("hiking club members trail volunteer newsletter chess tournament choir "
             "rehearsal library book reading group minutes treasurer committee "
             "membership fees schedule venue").split(),
}
SPAM_WORDS = {
    "pharma": ("viagra cialis pills pharmacy prescription cheap discount medication "
               "generic tablets shipping worldwide enlargement pharmacy online order "
               "dosage refill lowest price guaranteed").split(),
    "money": ("million dollars inheritance beneficiary transfer bank account barrister "
              "fund claim lottery winner prize jackpot congratulations urgent "
              "confidential compensation western union payment").split(),
    "crypto": ("bitcoin crypto investment profit returns trading platform wallet "
               "guaranteed passive income double earnings signup bonus exclusive "
               "opportunity invest earn daily").split(),
    "phish": ("account suspended verify password login security alert unusual activity "
              "confirm identity locked click immediately restore access billing "
              "update credentials expire").split(),
}
HAM_SUBJECTS = ["Re: {w} for {day}", "{w} notes", "Fwd: {w} and {w2}", "About the {w}",
                "{day}: {w}?", "Quick question on {w}"]
SPAM_SUBJECTS = ["{W} - LIMITED OFFER!!!", "Your {w} is waiting", "URGENT: {w} {w2}",
                 "Re: {w} {amount}", "Congratulations! {w} approved", "{W} {W2} {amount}"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Ines",
         "Jonas", "Keiko", "Liam", "Maria", "Noah", "Olga", "Pedro"]
LAST = ["Smith", "Tanaka", "Garcia", "Novak", "Okafor", "Larsen", "Rossi", "Kim"]
HAM_DOMAINS = ["example.org", "friends.example", "work.example.net", "club.example.com"]
SPAM_DOMAINS = ["deals-4u.example", "pharma-best.example", "win-now.example",
                "secure-verify.example", "crypto-gain.example"]


class Corpus:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.n = 0

    def _sentence(self, pool, other):
        r = self.rng

        def word():
            x = r.random()
            # a few words of the other kind: ham mentions a bank or a prize too
            return r.choice(pool) if x < 0.40 else r.choice(other) if x < 0.47 else \
                r.choice(COMMON)
        words = [word() for _ in range(r.randint(6, 14))]
        return " ".join(words).capitalize() + r.choice([".", ".", "!", "?"])

    def _message(self, spam, to):
        r = self.rng
        self.n += 1
        topics = SPAM_WORDS if spam else HAM_WORDS
        topic = r.choice(sorted(topics))
        pool = topics[topic]
        others = HAM_WORDS if spam else SPAM_WORDS
        other = others[r.choice(sorted(others))]
        w, w2 = r.sample(pool, 2)
        subj = r.choice(SPAM_SUBJECTS if spam else HAM_SUBJECTS).format(
            w=w, w2=w2, W=w.upper(), W2=w2.upper(), day=r.choice(DAYS),
            amount="$%d,%03d" % (r.randint(1, 999), r.randint(0, 999)))
        name = "%s %s" % (r.choice(FIRST), r.choice(LAST))
        domain = r.choice(SPAM_DOMAINS if spam else HAM_DOMAINS)
        local = name.split()[0].lower() + (str(r.randint(1, 99)) if spam else "")
        paras = []
        for _ in range(r.randint(2, 4)):
            paras.append(" ".join(self._sentence(pool, other) for _ in range(r.randint(2, 4))))
        if spam:
            paras.append("Click here: https://%s/%s?id=%d" % (domain, w, r.randint(1, 10**6)))
            paras.append(r.choice(["To unsubscribe reply STOP.", "Act now, offer ends soon!",
                                   "This is not spam. You opted in."]))
        else:
            paras.append(r.choice(["Best,", "Cheers,", "Thanks,", "See you,"]) + "\n" +
                         name.split()[0])
        html = r.random() < 0.25
        if html:
            body = "<html><body>" + "".join("<p>%s</p>" % p for p in paras) + "</body></html>"
            ctype = "text/html"
        else:
            body = "\n\n".join(paras)
            ctype = "text/plain"
        qp = r.random() < 0.3
        body_bytes = body.replace("\n", "\r\n").encode()
        if qp:
            body_bytes = quopri.encodestring(body_bytes).replace(b"\n", b"\r\n")
            body_bytes = body_bytes.replace(b"\r\r\n", b"\r\n")
        date = email.utils.formatdate(1764700000 + self.n * 3600 + r.randint(0, 3000))
        head = ("From: %s <%s@%s>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
                "Message-ID: <%d.%d@%s>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n" % (
                    name, local, domain, to, subj, date, self.n, r.randint(0, 10**9), domain,
                    ctype, "quoted-printable" if qp else "7bit"))
        return head.encode() + b"\r\n" + body_bytes + b"\r\n"

    def spam(self, to):
        return self._message(True, to)

    def ham(self, to):
        return self._message(False, to)


if __name__ == "__main__":
    # python3 tests/integration/spam_corpus.py DIR N [SEED [FILLER]]: N spam and N ham
    # messages as DIR/spam-NNNN.eml and DIR/ham-NNNN.eml (for tests/unit/spam/spam_bench.c);
    # FILLER bytes of words never seen twice appended to the odd-numbered ones (the worst
    # case for the tokenizer and the token store)
    import os
    import sys
    out, n = sys.argv[1], int(sys.argv[2])
    c = Corpus(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    filler = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        for kind in ("spam", "ham"):
            m = getattr(c, kind)("user@example.test")
            if filler and i % 2:
                words = " ".join("%s%d" % (c.rng.choice(COMMON), c.rng.randint(0, 10**6))
                                 for _ in range(filler // 6))
                m += words.encode()[:filler] + b"\r\n"
            with open(os.path.join(out, "%s-%04d.eml" % (kind, i)), "wb") as f:
                f.write(m)
