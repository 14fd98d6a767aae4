"""Reloading the config of a running server (SIGHUP, `yubin reload`; docs/operations.md):
a new domain is accepted, a changed limit applies, a new listener answers, a removed one is
closed while a session it accepted goes on and delivers; a config with an error, or a new
listener that cannot be bound, is refused as a whole: the old config stays (the listeners
bound for it are closed again) and the log (and `yubin reload`) says why."""
import signal
import subprocess
import socket

from conftest import free_port
from helpers import make_msg, wait_until
from smtpraw import RawSMTP, data_payload


def connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def ehlo_size(server, port=None):
    with RawSMTP(server.host, port or server.smtp_port) as c:
        r = c.greet()
        c.cmd("QUIT")
    return [line for line in r.lines if line.startswith("SIZE")]


def rcpt_code(server, rcpt):
    with RawSMTP(server.host, server.smtp_port) as c:
        c.greet()
        c.expect("MAIL FROM:<someone@client.example.test>", 250)
        code = c.cmd("RCPT TO:<%s>" % rcpt).code
        c.cmd("QUIT")
    return code


def sighup_and_wait(server, mark):
    n = server.log().count(mark)
    server.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: server.log().count(mark) > n, timeout=20), server.log_tail()


def test_sighup_applies_domains_limits_and_listeners(yubin_factory):
    second = free_port()
    server = yubin_factory()
    server.settings["smtp_listen"] = "127.0.0.1:%d, 127.0.0.1:%d" % (server.smtp_port, second)
    server.write_config()
    sighup_and_wait(server, "serve: reload: done")
    assert connects(second), server.log_tail()

    # a session on the listener about to be removed, in the middle of a transaction
    old = RawSMTP(server.host, second)
    old.greet()
    old.expect("MAIL FROM:<someone@client.example.test>", 250)
    old.expect("RCPT TO:<alice@example.test>", 250)

    assert rcpt_code(server, "erin@new.test") >= 500
    pop3 = free_port()
    server.settings.update({"mydomains": "example.test, new.test",
                            "message_size_limit": "123456",
                            "pop3_listen": "127.0.0.1:%d" % pop3,
                            "smtp_listen": "127.0.0.1:%d" % server.smtp_port})
    server.write_config()
    server.add_user("erin@new.test")
    sighup_and_wait(server, "serve: reload: done")

    assert rcpt_code(server, "erin@new.test") == 250  # the new domain
    assert ehlo_size(server) == ["SIZE 123456"]       # the new limit
    with socket.create_connection(("127.0.0.1", pop3), timeout=10) as p:  # the new listener
        assert p.recv(512).startswith(b"+OK"), server.log_tail()
    assert not connects(second)                       # the removed listener
    # the session it accepted goes on, and its message is delivered
    old.expect("DATA", 354)
    old.send(data_payload(make_msg(subject="through a removed listener")))
    r = old.reply()
    assert r.code == 250, r
    old.expect("QUIT", 221)
    old.close()
    assert wait_until(lambda: server.count("alice@example.test") == 1, timeout=20)
    assert "reload refused" not in server.log()


def test_sighup_with_a_broken_config_keeps_the_old_one(yubin_factory):
    server = yubin_factory()
    before = ehlo_size(server)
    good = dict(server.settings)
    server.settings["message_size_limit"] = "2000000"
    server.settings["no_such_key"] = "1"
    server.write_config()
    sighup_and_wait(server, "serve: reload refused")
    assert "unknown key 'no_such_key'" in server.log(), server.log_tail()
    assert ehlo_size(server) == before  # the running config stays
    # a key that only a restart changes: kept, with a warning, the rest applies
    server.settings = dict(good, message_size_limit="5432100", auth_ban_threshold="5")
    server.write_config()
    sighup_and_wait(server, "serve: reload: done")
    assert "auth_ban_threshold changed: takes effect at the next restart" in server.log()
    assert ehlo_size(server) == ["SIZE 5432100"]


def test_yubin_reload_through_the_control_socket(yubin_factory):
    server = yubin_factory()
    server.settings["message_size_limit"] = "7777777"
    server.write_config()
    p = server.cli("reload")
    assert b"reloaded" in p.stdout, p
    assert "control: reloading" in server.log()
    assert ehlo_size(server) == ["SIZE 7777777"]

    # a new listener that cannot be bound: the whole reload is refused, and the one bound
    # before it (pop3) is closed again
    busy = socket.socket()
    busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    pop3 = free_port()
    try:
        server.settings.update({"message_size_limit": "1000000",
                                "pop3_listen": "127.0.0.1:%d" % pop3,
                                "imap_listen": "127.0.0.1:%d" % busy.getsockname()[1]})
        server.write_config()
        p = server.cli("reload", check=False)
    finally:
        busy.close()
    assert p.returncode == 78, p  # EX_CONFIG
    assert b"cannot listen" in p.stderr, p
    assert ehlo_size(server) == ["SIZE 7777777"]
    assert not connects(pop3)
    assert "serve: reload refused" in server.log()

    # a config the CLI itself cannot load: the error, and no change
    server.settings["message_size_limit"] = "lots"
    server.write_config()
    p = server.cli("reload", check=False)
    assert p.returncode != 0 and b"message_size_limit" in p.stderr, p
    assert ehlo_size(server) == ["SIZE 7777777"]


def peer_cn(server):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", server.submissions_port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as t:
            der = t.getpeercert(binary_form=True)
    p = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"], input=der,
                       capture_output=True, timeout=30, check=True)
    return p.stdout.decode()


def test_sighup_loads_a_new_certificate_or_keeps_the_old_one(yubin_factory, tmp_path):
    server = yubin_factory()
    assert "mx.example.test" in peer_cn(server)
    cert, key = str(tmp_path / "new.pem"), str(tmp_path / "new.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=reloaded.example.test"],
                   capture_output=True, timeout=60, check=True)
    server.settings.update({"tls_cert_file": cert, "tls_key_file": key})
    server.write_config()
    sighup_and_wait(server, "serve: reload: done")
    assert "reloaded.example.test" in peer_cn(server)
    # a certificate that cannot be loaded: refused, the one in use stays
    server.settings["tls_cert_file"] = str(tmp_path / "missing.pem")
    server.write_config()
    sighup_and_wait(server, "serve: reload refused")
    assert "TLS:" in server.log().split("serve: reload refused")[-1].splitlines()[0]
    assert "reloaded.example.test" in peer_cn(server)
