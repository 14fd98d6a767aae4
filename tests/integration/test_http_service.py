"""Running as a service (issue 10): log_format = json (every line one JSON object), and
sd_notify READY=1 / WATCHDOG=1 / STOPPING=1 on a NOTIFY_SOCKET the test listens on."""
import json
import os
import socket
import time

from helpers import make_msg, wait_until


def test_json_logs(yubin_factory):
    srv = yubin_factory(config={"log_format": "json"})
    with srv.smtp() as s:
        s.sendmail("sender@client.example.test", ["alice@example.test"],
                   make_msg(subject="caf\u00e9 \"quoted\"\\"))
    # bytes that are not UTF-8, quotes and a backslash in what the server logs
    with srv.raw() as r:
        r.greet()
        r.send(b"MAIL FROM:<\"bad\xff\\q\"@client.example.test>\r\n")
        r.reply()
        r.cmd("QUIT")
    assert srv.stop() == []
    with open(srv.log_path, "rb") as f:
        raw = f.read()
    lines = [l.decode("utf-8") for l in raw.splitlines() if l.strip()]  # strict UTF-8
    # the lines before the config is loaded are text (nothing to configure them yet)
    objs = [json.loads(l) for l in lines if l.startswith("{")]
    assert len(objs) >= 5 and len(objs) >= len(lines) - 2, lines[:5]
    for o in objs:
        assert set(o) >= {"time", "level", "message"}
        assert o["time"].endswith("Z") and o["level"] in ("debug", "info", "warning", "error")
    comps = {o.get("component") for o in objs}
    assert {"serve", "smtp"} <= comps
    assert any("ready" in o["message"] for o in objs if o.get("component") == "serve")
    assert any(o["message"].startswith(o["message"].split(":")[0]) and "from=<" in o["message"]
               for o in objs if o.get("component") == "smtp")


def test_sd_notify(yubin_factory):
    name = "\0yubin-test-notify-%d-%d" % (os.getpid(), time.monotonic_ns())
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(name)
    sock.settimeout(0.2)
    try:
        srv = yubin_factory(start=False)
        srv.env = dict(os.environ, NOTIFY_SOCKET="@" + name[1:], WATCHDOG_USEC="400000")
        srv.start()
        got = []

        def drain():
            try:
                while True:
                    got.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
            return got

        assert wait_until(lambda: any("READY=1" in g for g in drain()), timeout=10), got
        # the watchdog: at half the interval, so at least two in a second
        n = sum(1 for g in got if g == "WATCHDOG=1")
        time.sleep(1.0)
        drain()
        assert sum(1 for g in got if g == "WATCHDOG=1") >= n + 2, got
        assert srv.stop() == []
        drain()
        assert "STOPPING=1" in got, got
    finally:
        sock.close()


def test_no_notify_socket_no_notification(yubin_factory):
    """Without NOTIFY_SOCKET nothing is sent and nothing is logged about it."""
    srv = yubin_factory()
    assert srv.stop() == []
    assert "NOTIFY_SOCKET" not in srv.log()


def test_choice_keys_are_checked(yubin_factory):
    """log_format, log_target and mta_sts_mode take one of their words; anything else is a
    config error naming the choices."""
    srv = yubin_factory(start=False)
    for key, bad in (("log_format", "xml"), ("log_target", "file"), ("mta_sts_mode", "strict"),
                     ("mta_sts_mode", "")):
        srv.settings[key] = bad
        srv.write_config()
        p = srv.cli("check", check=False)
        out = (p.stdout + p.stderr).decode()
        assert p.returncode == 78 and key in out and "expected one of" in out, out
        del srv.settings[key]
    srv.settings.update({"log_format": "json", "log_target": "syslog", "mta_sts_mode": "none"})
    srv.write_config()
    out = srv.cli("check").stdout.decode()
    assert "log_format = json\n" in out and "mta_sts_mode = none\n" in out
