"""GET sys/monitor (docs/observability.md, "Log streaming (sys/monitor)"):
a never-ending body of the server's log lines, at the level and in the
format the client asks for; its policy checks and bad input; a stream does
not hold up the server's shutdown, and a client that stops reading neither
stalls other requests nor makes the server hold more than a bounded queue.
"""
import http.client
import json
import os
import re
import select
import socket
import subprocess
import time

import pytest

from harness import BINARY, DevServer, ROOT_TOKEN, wait_for

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s{1,2}\S")


class Monitor:
    """A sys/monitor stream read from a raw socket, a little at a time
    (poll), so that the test decides when (and whether) to read."""

    def __init__(self, server, query="", token=ROOT_TOKEN, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", server.port))
        target = "/v1/sys/monitor" + (f"?{query}" if query else "")
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"X-Vault-Token: {token}\r\n\r\n".encode())
        self.raw = b""
        self.body = b""
        self.ended = False  # the last chunk (or the connection's end) arrived
        while b"\r\n\r\n" not in self.raw:
            got = self.sock.recv(65536)
            assert got, "connection closed before the response header"
            self.raw += got
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, _, v in (l.partition(":") for l in lines[1:])}
        assert self.headers.get("transfer-encoding") == "chunked", self.headers
        self._parse()

    def _parse(self):
        while not self.ended:
            eol = self.raw.find(b"\r\n")
            if eol < 0:
                return
            size = int(self.raw[:eol].split(b";")[0], 16)
            if size == 0:
                self.ended = True
                return
            if len(self.raw) < eol + 2 + size + 2:
                return
            self.body += self.raw[eol + 2:eol + 2 + size]
            self.raw = self.raw[eol + 2 + size + 2:]

    def poll(self):
        """Takes what has arrived, without waiting; returns the body so far."""
        while not self.ended and select.select([self.sock], [], [], 0)[0]:
            got = self.sock.recv(1 << 20)
            if not got:
                self.ended = True
                break
            self.raw += got
            self._parse()
        return self.text

    @property
    def text(self):
        return self.body.decode(errors="replace")

    def lines(self):
        return [l for l in self.text.split("\n") if l]

    def wait_for_text(self, fragment, what=None):
        wait_for(lambda: fragment in self.poll(), what=what or f"{fragment!r} on the stream")

    def greeted(self):
        # The stream's first line: it is subscribed from here on.
        self.wait_for_text("streaming log lines at level")
        return self

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def dev():
    with DevServer() as s:
        yield s


def enable_kv(dev, path):
    r = dev.api("POST", f"sys/mounts/{path}", {"type": "kv"}, token=ROOT_TOKEN)
    assert r.status == 204, r


def test_a_line_the_test_causes_arrives(dev):
    m = Monitor(dev).greeted()
    try:
        assert m.status == 200 and m.headers["content-type"].startswith("text/plain")
        enable_kv(dev, "mon-info")
        m.wait_for_text("enabled kv at mon-info/\n")
        for line in m.lines():
            assert LINE.match(line), line
        mine = [l for l in m.lines() if l.endswith("enabled kv at mon-info/")]
        assert mine and " [INFO]  enabled kv at mon-info/" in mine[0]
    finally:
        m.close()


def test_debug_stream_gets_debug_lines_the_info_stream_and_the_server_log_do_not(dev):
    info, debug = Monitor(dev).greeted(), Monitor(dev, "log_level=debug").greeted()
    try:
        assert dev.api("GET", "sys/health").status == 200
        enable_kv(dev, "mon-debug")  # an info line after the debug one: a marker
        debug.wait_for_text("[DEBUG] http: GET /v1/sys/health -> 200")
        info.wait_for_text("enabled kv at mon-debug/")
        debug.wait_for_text("enabled kv at mon-debug/")
        assert "[DEBUG]" not in info.text
        # The server itself still logs at info.
        assert "/v1/sys/health -> 200" not in dev.logs()
    finally:
        info.close()
        debug.close()


def test_json_format_parses(dev):
    m = Monitor(dev, "log_format=json&log_level=info").greeted()
    try:
        assert m.headers["content-type"].startswith("application/json")
        enable_kv(dev, "mon-json")
        m.wait_for_text("enabled kv at mon-json/")
        entries = [json.loads(l) for l in m.lines()]
        mine = [e for e in entries if e["@message"] == "enabled kv at mon-json/"]
        assert len(mine) == 1, entries
        assert mine[0]["@level"] == "info"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", mine[0]["@timestamp"])
        greeting = entries[0]
        assert greeting["@module"] == "monitor" and greeting["@level"] == "info"
    finally:
        m.close()


@pytest.mark.parametrize("query,fragment", [
    ("log_level=loud", 'log_level: unknown log level "loud"; use trace, debug, info, warn or error'),
    ("log_level=off", 'log_level: unknown log level "off"'),
    ("log_format=xml", 'log_format: unknown log format "xml"; use standard or json'),
])
def test_bad_input_is_400_in_vaults_shape(dev, query, fragment):
    r = dev.api("GET", f"sys/monitor?{query}", token=ROOT_TOKEN)
    assert r.status == 400, r
    assert list(r.json) == ["errors"] and fragment in r.json["errors"][0], r


def test_tokens_need_read_on_sys_monitor(dev):
    assert dev.api("GET", "sys/monitor").status == 403
    plain = dev.api("POST", "auth/token/create", {"policies": ["default"]}, token=ROOT_TOKEN)
    assert dev.api("GET", "sys/monitor", token=plain.json["auth"]["client_token"]).status == 403
    # As in Vault, read is enough: sys/monitor is not a sudo path.
    r = dev.api("PUT", "sys/policies/acl/monitor-reader",
                {"policy": 'path "sys/monitor" { capabilities = ["read"] }'}, token=ROOT_TOKEN)
    assert r.status == 204, r
    reader = dev.api("POST", "auth/token/create", {"policies": ["monitor-reader"]},
                     token=ROOT_TOKEN).json["auth"]["client_token"]
    m = Monitor(dev, token=reader).greeted()
    assert m.status == 200
    m.close()
    r = dev.api("POST", "sys/monitor", {}, token=ROOT_TOKEN)
    assert r.status == 405 and "update is not supported on sys/monitor" in r.errors[0], r


def test_a_client_that_stops_reading_stalls_nothing_and_hears_of_the_drops(dev):
    # A small receive window, never read: the server's writes to it block
    # once the socket buffers are full, and its queue fills and drops.
    slow = Monitor(dev, "log_level=debug", rcvbuf=4096).greeted()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=30)
        long_path = "/v1/sys/monitor-slow-" + "x" * 32768  # a 32 KiB debug line each
        started = time.monotonic()
        for i in range(240):  # about 8 MiB of log lines: more than any buffer
            conn.request("GET", long_path)
            resp = conn.getresponse()
            resp.read()
            assert 400 <= resp.status < 500, resp.status
            if i % 40 == 0:
                assert dev.api("GET", "sys/health", timeout=5).status == 200
        assert dev.api("GET", "sys/health", timeout=5).status == 200
        assert time.monotonic() - started < 60
        conn.close()
        # Reading again, the client learns how many lines it lost, and then
        # gets new lines as before.
        slow.wait_for_text("log lines were dropped because this client reads too slowly")
        enable_kv(dev, "mon-after-slow")
        slow.wait_for_text("enabled kv at mon-after-slow/")
    finally:
        slow.close()


def test_a_disconnected_client_ends_its_stream():
    with DevServer() as s:
        gone = [Monitor(s).greeted() for _ in range(3)]
        for m in gone:
            m.close()
        # A write to a closed connection fails (the first may still be
        # taken by the kernel before the reset arrives): each new info line
        # is a write, and the server logs, at debug, each stream that ends.
        watcher = Monitor(s, "log_level=debug").greeted()
        made = []

        def three_ended():
            made.append(f"mon-gone-{len(made)}")
            enable_kv(s, made[-1])
            return watcher.poll().count("monitor: the client left") >= 3

        wait_for(three_ended, what="the three closed streams to end")
        assert len(made) < 50
        watcher.close()


def test_shutdown_is_prompt_with_a_stream_open():
    s = DevServer()
    s.start()
    try:
        m = Monitor(s, "log_level=debug").greeted()
        started = time.monotonic()
        code = s.stop(timeout=30)
        elapsed = time.monotonic() - started
        assert code == 0, s.logs()
        assert elapsed < 5, f"shutdown took {elapsed:.1f}s with a monitor stream open"
        # The stream ended properly (the last chunk), not just cut.
        wait_for(lambda: m.poll() is not None and m.ended, what="the stream to end")
        assert "shutting down" in m.text
        m.close()
    finally:
        s.close()


def test_cli_monitor_prints_the_stream(dev):
    bad = dev.cli("monitor", "-log-level=loud", token=ROOT_TOKEN)
    assert bad.returncode == 1, bad
    assert 'Error starting monitor' in bad.stderr and 'unknown log level "loud"' in bad.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "TRESOR_"))}
    env.update(TRESOR_ADDR=dev.address, TRESOR_TOKEN=ROOT_TOKEN, HOME=dev.workdir)
    proc = subprocess.Popen([BINARY, "monitor", "-log-format=json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        os.set_blocking(proc.stdout.fileno(), False)
        out = []

        def printed(fragment):
            got = proc.stdout.read()
            if got:
                out.append(got.decode())
            return fragment in "".join(out)

        wait_for(lambda: printed("streaming log lines at level"), what="the CLI first line")
        enable_kv(dev, "mon-cli")
        wait_for(lambda: printed("enabled kv at mon-cli/"), what="the mount's line from the CLI")
        for line in "".join(out).splitlines():
            json.loads(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
