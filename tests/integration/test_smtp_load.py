"""Load: 500 concurrent sessions each delivering a message (all stored), and 200 clients that
drop mid-DATA or mid-BDAT (the server goes on serving; nothing partial is stored). asyncio
keeps both bounded in time and threads."""
import asyncio
import re
import socket
import struct

from helpers import make_msg, split_prefix
from smtpraw import data_payload

USERS = ["alice@example.test", "bob@example.test", "carol@example.test", "dave@example.test"]


async def read_reply(reader):
    lines = []
    while True:
        line = await reader.readuntil(b"\r\n")
        lines.append(line)
        if line[3:4] != b"-":
            return int(line[:3]), b"".join(lines)


async def expect(reader, writer, line, code):
    if line is not None:
        writer.write(line + b"\r\n")
    got, text = await read_reply(reader)
    assert got == code, "%r -> %r (expected %d)" % (line, text, code)
    return text


async def session(host, port, rcpt, msg, start_evt, greeted):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await expect(reader, writer, None, 220)
        greeted()
        await start_evt.wait()  # every session is open before anyone sends mail
        await expect(reader, writer, b"EHLO load.example.test", 250)
        await expect(reader, writer, b"MAIL FROM:<load@client.example.test>", 250)
        await expect(reader, writer, b"RCPT TO:<%s>" % rcpt.encode(), 250)
        await expect(reader, writer, b"DATA", 354)
        writer.write(data_payload(msg))
        await expect(reader, writer, None, 250)
        await expect(reader, writer, b"QUIT", 221)
    finally:
        writer.close()


def test_500_concurrent_sessions(yubin_factory):
    n = 500
    srv = yubin_factory(config={"smtp_max_connections": "2000",
                                "smtp_max_connections_per_ip": "1000"})
    msgs = [make_msg(subject="load %d" % i, body=b"message number %d\r\n" % i) for i in range(n)]

    async def main():
        start = asyncio.Event()
        count = [0]

        def greeted():
            count[0] += 1
            if count[0] == n:
                start.set()
        tasks = [asyncio.create_task(session(srv.host, srv.smtp_port, USERS[i % len(USERS)],
                                             msgs[i], start, greeted)) for i in range(n)]
        done, pending = await asyncio.wait(tasks, timeout=120)
        for t in pending:
            t.cancel()
        errors = [t.exception() for t in done if t.exception() is not None]
        assert not pending, "%d sessions still running after 120 s" % len(pending)
        assert not errors, "%d sessions failed, e.g. %r" % (len(errors), errors[:3])

    asyncio.run(main())
    assert srv.alive()
    got = {}
    for u in USERS:
        stored = srv.messages(u)
        assert len(stored) == n // len(USERS), (u, len(stored))
        for m in stored:
            i = int(re.search(rb"Subject: load (\d+)\r\n", m).group(1))
            assert i % len(USERS) == USERS.index(u)
            split_prefix(m, msgs[i])
            got[i] = True
    assert len(got) == n


async def dropper(host, port, i, mode):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await expect(reader, writer, None, 220)
        await expect(reader, writer, b"EHLO drop.example.test", 250)
        await expect(reader, writer, b"MAIL FROM:<drop@client.example.test>", 250)
        await expect(reader, writer, b"RCPT TO:<alice@example.test>", 250)
        partial = b"Subject: DROPMARK-%d\r\n\r\n" % i + b"partial body DROPMARK\r\n" * (i * 50)
        if mode == "bdat":
            writer.write(b"BDAT %d LAST\r\n" % (len(partial) + 1000) + partial)
        else:
            await expect(reader, writer, b"DATA", 354)
            # even a dangling "\r\n." must not be taken as the end when the peer goes away
            writer.write(partial + (b"\r\n." if i % 3 == 0 else b""))
        await writer.drain()
    finally:
        sock = writer.get_extra_info("socket")
        if i % 2 == 0 and sock is not None:
            # abortive close: RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()


def test_200_clients_drop_mid_data(yubin_factory):
    n = 200
    srv = yubin_factory(config={"smtp_max_connections_per_ip": "1000"})

    async def main():
        tasks = [asyncio.create_task(dropper(srv.host, srv.smtp_port, i,
                                             "bdat" if i % 4 == 1 else "data"))
                 for i in range(n)]
        done, pending = await asyncio.wait(tasks, timeout=60)
        for t in pending:
            t.cancel()
        errors = [t.exception() for t in done if t.exception() is not None]
        assert not pending and not errors, (len(pending), errors[:3])

    asyncio.run(main())
    assert srv.alive()
    # the server still serves, and what it stores is whole
    ok = make_msg(subject="after the drops")
    with srv.smtp() as s:
        assert s.sendmail("sender@client.example.test", ["alice@example.test"], ok) == {}
    stored = srv.messages("alice@example.test")
    assert len(stored) == 1, "partial messages stored: %d" % len(stored)
    split_prefix(stored[0], ok)
    assert b"DROPMARK" not in srv.store.all_files_bytes()
    assert srv.alive()
