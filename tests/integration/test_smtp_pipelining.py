"""PIPELINING (RFC 2920): a whole transaction, even several, in one write; replies come back
in order, one per command."""
from helpers import make_msg, split_prefix
from smtpraw import data_payload


def test_pipelined_transaction(server):
    m1 = make_msg(subject="pipelined 1")
    m2 = make_msg(subject="pipelined 2")
    with server.raw() as c:
        c.greet()
        c.send(b"MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<alice@example.test>\r\n"
               b"RCPT TO:<nosuch@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        codes = [c.reply().code for _ in range(5)]
        assert codes == [250, 250, 550, 250, 354], codes
        c.send(data_payload(m1) + b"MAIL FROM:<other@client.example.test>\r\n"
               b"RCPT TO:<carol@example.test>\r\nDATA\r\n" + data_payload(m2) + b"QUIT\r\n")
        codes = [c.reply().code for _ in range(5)]
        assert codes == [250, 250, 250, 354, 250], codes
        assert c.reply().code == 221
        c.wait_closed()
    for u, m in (("alice", m1), ("bob", m1), ("carol", m2)):
        stored = server.messages("%s@example.test" % u)
        assert len(stored) == 1, u
        split_prefix(stored[0], m)


def test_pipelined_ehlo_to_quit_in_one_write(server):
    msg = make_msg(subject="all at once")
    with server.raw() as c:
        assert c.reply().code == 220
        c.send(b"EHLO client.example.test\r\n")
        assert c.reply().code == 250
        many = b""
        for i in range(30):
            many += (b"MAIL FROM:<s%d@client.example.test>\r\nRCPT TO:<dave@example.test>\r\n"
                     b"DATA\r\n" % i) + data_payload(msg) + b"RSET\r\nNOOP\r\n"
        c.send(many + b"QUIT\r\n")
        for i in range(30):
            codes = [c.reply().code for _ in range(6)]
            assert codes == [250, 250, 354, 250, 250, 250], (i, codes)
        assert c.reply().code == 221
    assert server.count("dave@example.test") == 30


def test_pipelined_errors_do_not_desync(server):
    with server.raw() as c:
        c.greet()
        c.send(b"RCPT TO:<alice@example.test>\r\nDATA\r\nFOO\r\n"
               b"MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<ghost@example.test>\r\n"
               b"DATA\r\nRSET\r\n")
        codes = [c.reply().code for _ in range(7)]
        assert codes == [503, 503, 500, 250, 550, 554, 250] or \
            codes == [503, 503, 500, 250, 550, 503, 250], codes
        assert c.nothing_pending()
