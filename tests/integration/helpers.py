"""Helpers shared by the SMTP tests: building messages and checking what the store holds
against what was sent (the server may only add header lines in front of the message)."""
import re
import time
import uuid

from smtpraw import data_payload


def make_msg(subject="test", body=b"hello\r\n", extra_headers=b""):
    mid = "<%s@client.example.test>" % uuid.uuid4().hex
    head = ("From: sender@client.example.test\r\nTo: someone@example.test\r\n"
            "Subject: %s\r\nMessage-ID: %s\r\n" % (subject, mid)).encode()
    return head + extra_headers + b"\r\n" + body


def split_prefix(stored, original):
    """Checks that stored is some header lines followed by original, byte for byte, and
    returns those added header lines as a list of (name lower-cased, unfolded value)."""
    assert stored.endswith(original), \
        "stored message does not end with the message sent (stored head %r)" % stored[:300]
    prefix = stored[:len(stored) - len(original)]
    if not prefix:
        return []
    assert prefix.endswith(b"\r\n"), "added header block not CRLF-ended: %r" % prefix[-100:]
    headers = []
    for line in prefix[:-2].split(b"\r\n"):
        text = line.decode("utf-8", "replace")
        if text[:1] in (" ", "\t"):
            assert headers, "continuation line first in added headers: %r" % prefix
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + text.strip())
            continue
        m = re.match(r"^([!-9;-~]+):[ \t]*(.*)$", text)
        assert m, "added line is not a header: %r in %r" % (text, prefix)
        headers.append((m.group(1).lower(), m.group(2).strip()))
    return headers


def header_values(headers, name):
    return [v for n, v in headers if n == name.lower()]


def send_raw_message(raw, sender, rcpts, msg, mail_params=""):
    """One transaction on an EHLO'd RawSMTP; returns the reply to the end of data."""
    raw.expect("MAIL FROM:<%s>%s" % (sender, (" " + mail_params) if mail_params else ""), 250)
    for r in rcpts:
        raw.expect("RCPT TO:<%s>" % r, 250)
    raw.expect("DATA", 354)
    raw.send(data_payload(msg))
    return raw.reply()


def wait_until(pred, timeout=10, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def has_bare_cr_or_lf(data):
    return re.search(rb"\r(?!\n)|(?<!\r)\n", data) is not None
