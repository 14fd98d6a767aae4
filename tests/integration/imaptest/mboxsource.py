"""Messages of a test's mbox file, handed out in order and wrapping around at the end, as
imaptest's mailbox-source-mbox.c does: every line ends in CRLF, INTERNALDATE comes from the
From_ line (local time when it has no zone)."""
import re
import time

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FROM = re.compile(r"^From \S+\s+[A-Za-z]{3} +([A-Za-z]{3}) +(\d{1,2}) (\d{1,2}):(\d\d):(\d\d)"
                   r" (\d{4})(?: ([+-]\d{4}))?")


def _from_date(line):
    m = _FROM.match(line)
    if not m or m.group(1) not in MONTHS:
        return None
    mon, day, hh, mm, ss, year, tz = m.groups()
    if tz is None:
        t = time.mktime((int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm),
                         int(ss), 0, 0, -1))
        off = time.localtime(t).tm_gmtoff // 60
        tz = "%s%02d%02d" % ("-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
    return "%02d-%s-%s %02d:%s:%s %s" % (int(day), mon, year, int(hh), mm, ss, tz)


class MboxSource:
    def __init__(self, path):
        self.path = path
        self.messages = None
        self.next_idx = 0

    def _load(self):
        with open(self.path, "rb") as f:
            data = f.read().decode("latin-1")
        lines = data.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        msgs = []
        cur = None
        for line in lines:
            line = line[:-1] if line.endswith("\r") else line
            date = _from_date(line) if line.startswith("From ") else None
            if date is not None:
                if cur is not None and cur[1]:
                    msgs.append(cur)
                    cur = (date, [])
                elif cur is None:
                    cur = (date, [])
                else:
                    cur = (cur[0], [])   # empty body: the later From_ line starts it
                continue
            if cur is None:
                raise ValueError("Not a valid mbox file: %s" % self.path)
            cur[1].append(line)
        if cur is not None:
            if not cur[1]:
                raise ValueError("mbox file ends with From-line: %s" % self.path)
            msgs.append(cur)
        if not msgs:
            raise ValueError("Empty mbox file: %s" % self.path)
        self.messages = [(d, "".join(x + "\r\n" for x in body)) for d, body in msgs]

    def count(self):
        if self.messages is None:
            self._load()
        return len(self.messages)

    def next(self):
        """(internaldate, message text with CRLF line ends) of the next message."""
        if self.messages is None:
            self._load()
        msg = self.messages[self.next_idx % len(self.messages)]
        self.next_idx += 1
        return msg
