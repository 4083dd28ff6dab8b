"""Audit devices against the real binary (docs/audit.md): a file device
gets one request and one response line per request with Vault's fields and
no plaintext secret or token; SIGHUP reopens the file for rotation without
losing a line; a socket device whose listener goes away fails requests
closed (500, and the write does not happen) until it comes back; a file
device on a filesystem that fills up does the same and recovers when space
returns, leaving no torn line; the device table survives a restart.
"""
import errno
import json
import os
import signal
import socket
import subprocess
import threading

import pytest

from harness import TresorServer, wait_for

SECRET_VALUE = "distinctive-secret-7f3a9c"
PASSWORD = "userpass-password-b81e"


def unsealed(server):
    init = server.init()
    server.keys = init["keys"]
    server.unseal(init["keys"])
    token = init["root_token"]
    wait_for(lambda: server.api("GET", "sys/mounts", token=token).status == 200,
             what="the server to serve requests")
    r = server.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                   token=token)
    assert r.status == 204, r
    return token


@pytest.fixture
def server():
    s = TresorServer()
    s.start()
    token = unsealed(s)
    yield s, token
    s.close()


def enable_file(server, token, path, name="file"):
    r = server.api("PUT", f"sys/audit/{name}",
                   {"type": "file", "description": "test", "options": {"file_path": path}},
                   token=token)
    assert r.status == 204, r


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def by_request_id(entries):
    found = {}
    for e in entries:
        found.setdefault(e["request"]["id"], []).append(e["type"])
    return found


def test_file_device_logs_each_request_and_response_without_secrets(server):
    s, root = server
    log = os.path.join(s.workdir, "audit.log")
    enable_file(s, root, log)
    r = s.api("GET", "sys/audit", token=root)
    assert r.status == 200, r
    assert r.json["file/"]["type"] == "file" and r.json["data"]["file/"]["path"] == "file/"
    assert r.json["file/"]["options"] == {"file_path": log}
    assert oct(os.stat(log).st_mode & 0o777) == "0o600"

    assert s.api("POST", "sys/auth/userpass", {"type": "userpass"}, token=root).status == 204
    assert s.api("POST", "auth/userpass/users/alice",
                 {"password": PASSWORD, "policies": "default"}, token=root).status == 204
    login = s.api("POST", "auth/userpass/login/alice", {"password": PASSWORD})
    assert login.status == 200, login
    user_token = login.json["auth"]["client_token"]
    user_accessor = login.json["auth"]["accessor"]
    w = s.api("POST", "secret/data/app", {"data": {"password": SECRET_VALUE}}, token=root)
    assert w.status == 200, w
    r = s.api("GET", "secret/data/app", token=root)
    assert r.status == 200 and r.json["data"]["data"]["password"] == SECRET_VALUE
    missing = s.api("GET", "secret/data/nothing-here", token=root)
    assert missing.status == 404
    no_route = s.api("GET", "nomount/thing", token=root)
    assert no_route.status == 404
    denied = s.api("GET", "secret/data/app", token=user_token)
    assert denied.status == 403

    entries = read_lines(log)
    text = open(log).read()
    for plaintext in (SECRET_VALUE, PASSWORD, root, user_token, user_accessor):
        assert plaintext not in text, f"{plaintext!r} is in the audit log"
    # Every audited request has exactly one request and one response entry.
    ids = by_request_id(entries)
    assert len(ids) >= 7
    for request_id, types in ids.items():
        assert sorted(types) == ["request", "response"], (request_id, types)

    def entries_for(path, operation, kind):
        return [e for e in entries if e["request"]["path"] == path
                and e["request"]["operation"] == operation and e["type"] == kind]

    [write_req] = entries_for("secret/data/app", "update", "request")
    assert write_req["time"].endswith("Z")
    assert write_req["auth"]["client_token"].startswith("hmac-sha256:")
    assert write_req["auth"]["accessor"].startswith("hmac-sha256:")
    assert write_req["auth"]["policies"] == ["root"]
    assert write_req["auth"]["token_type"] == "service"
    assert write_req["request"]["client_token"].startswith("hmac-sha256:")
    assert write_req["request"]["client_token_accessor"].startswith("hmac-sha256:")
    assert write_req["request"]["mount_type"] == "kv"
    assert write_req["request"]["remote_address"] == "127.0.0.1"
    assert write_req["request"]["data"]["data"]["password"].startswith("hmac-sha256:")
    # The hash an operator computes through sys/audit-hash finds the value.
    h = s.api("POST", "sys/audit-hash/file", {"input": SECRET_VALUE}, token=root)
    assert h.status == 200, h
    assert write_req["request"]["data"]["data"]["password"] == h.json["data"]["hash"]

    read_resp = entries_for("secret/data/app", "read", "response")[0]
    assert read_resp["response"]["data"]["data"]["password"] == h.json["data"]["hash"]
    assert read_resp["response"]["mount_type"] == "kv"

    [login_resp] = entries_for("auth/userpass/login/alice", "update", "response")
    assert login_resp["response"]["auth"]["client_token"].startswith("hmac-sha256:")
    assert login_resp["response"]["auth"]["accessor"].startswith("hmac-sha256:")
    [login_req] = entries_for("auth/userpass/login/alice", "update", "request")
    assert login_req["request"]["data"]["password"].startswith("hmac-sha256:")

    [missing_resp] = entries_for("secret/data/nothing-here", "read", "response")
    assert "data" not in missing_resp["response"]
    [no_route_resp] = entries_for("nomount/thing", "read", "response")
    assert "no handler for route" in no_route_resp["error"]
    [denied_resp] = entries_for("secret/data/app", "read", "response")[1:] or [None]
    assert denied_resp is not None and denied_resp["error"] == "permission denied"
    assert denied_resp["auth"]["policies"] == ["default"]


def test_sighup_reopens_the_file_and_loses_no_line(server):
    s, root = server
    log = os.path.join(s.workdir, "audit.log")
    enable_file(s, root, log)
    for i in range(5):
        assert s.api("POST", "secret/data/before", {"data": {"i": i}}, token=root).status == 200
    rotated = log + ".1"
    os.rename(log, rotated)
    # Written to the renamed file until the server reopens.
    assert s.api("POST", "secret/data/between", {"data": {"i": 0}}, token=root).status == 200
    os.kill(s.pid, signal.SIGHUP)
    wait_for(lambda: os.path.exists(log), what="the audit file to be opened again")
    for i in range(5):
        assert s.api("POST", "secret/data/after", {"data": {"i": i}}, token=root).status == 200

    old, new = read_lines(rotated), read_lines(log)
    assert {e["request"]["path"] for e in new} == {"secret/data/after"}
    assert len([e for e in new if e["type"] == "request"]) == 5
    ids = by_request_id(old + new)
    writes = [e for e in old + new if e["request"]["operation"] in ("create", "update")
              and e["request"]["path"].startswith("secret/")]
    assert len(writes) == 22  # 11 writes, each with its request and response
    for types in ids.values():
        assert sorted(types) == ["request", "response"]


def append_until_full(path, chunk):
    """Appends chunk to path (made if missing) until the filesystem is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, chunk)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)


def fill(ballast, log):
    """Fills the filesystem: a ballast file, then the slack of the audit
    log's last page with blank lines (which readers skip), so that the
    server's next audit line finds no byte free."""
    append_until_full(ballast, b"\0" * 4096)
    append_until_full(ballast, b"\0")
    append_until_full(log, b"\n")


def test_file_device_on_a_full_filesystem_fails_closed_and_recovers(server, tmp_path):
    s, root = server
    mount_point = tmp_path / "small-fs"
    mount_point.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
                        str(mount_point)], capture_output=True, text=True)
    assert r.returncode == 0, f"mounting a 256 KiB tmpfs needs root: {r.stderr}"
    try:
        log = str(mount_point / "audit.log")
        enable_file(s, root, log)
        assert s.api("POST", "secret/data/full", {"data": {"v": "first"}},
                     token=root).status == 200
        ballast = str(mount_point / "ballast")
        fill(ballast, log)

        failed = s.api("POST", "secret/data/full", {"data": {"v": "second"}}, token=root)
        assert failed.status == 500, failed
        assert "audit logging failed" in failed.errors[0]
        assert s.api("GET", "sys/health").json["audit_failing"] is True
        # Reads fail closed too: nothing is served that is not audited.
        assert s.api("GET", "secret/data/full", token=root).status == 500

        os.remove(ballast)
        r = s.api("GET", "secret/data/full", token=root)
        assert r.status == 200, r
        # The refused write never ran.
        assert r.json["data"]["data"]["v"] == "first"
        assert r.json["data"]["metadata"]["version"] == 1
        assert s.api("GET", "sys/health").json["audit_failing"] is False
        assert s.api("POST", "secret/data/full", {"data": {"v": "third"}},
                     token=root).status == 200
        # Every line parses (a line the full disk cut was taken back), and
        # each audited request has its request and its response.
        entries = read_lines(log)
        full = [e for e in entries if e["request"]["path"] == "secret/data/full"]
        assert [e["type"] for e in full] == ["request", "response"] * 3, full
        assert full[2]["request"]["operation"] == "read"
        assert full[1]["response"]["data"]["version"] != full[5]["response"]["data"]["version"]
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


class LineListener:
    """A TCP listener that collects the lines sent to it."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        buf = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(json.loads(line))

    def stop(self):
        self.stopped = True
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.thread.join()


def test_socket_device_fails_closed_while_its_listener_is_down(server):
    s, root = server
    listener = LineListener()
    port = listener.port
    r = s.api("PUT", "sys/audit/sock",
              {"type": "socket", "options": {"address": f"127.0.0.1:{port}",
                                             "socket_type": "tcp", "write_timeout": "2s"}},
              token=root)
    assert r.status == 204, r
    assert s.api("POST", "secret/data/fc", {"data": {"v": "first"}}, token=root).status == 200
    wait_for(lambda: any(e["type"] == "response" and e["request"]["path"] == "secret/data/fc"
                         for e in listener.lines), what="the socket listener to get the entries")
    assert s.api("GET", "sys/health").json["audit_failing"] is False

    listener.stop()
    failed = s.api("POST", "secret/data/fc", {"data": {"v": "second"}}, token=root)
    assert failed.status == 500, failed
    assert "audit logging failed" in failed.errors[0]
    assert s.api("GET", "sys/health").json["audit_failing"] is True

    listener = LineListener(port)
    try:
        r = s.api("GET", "secret/data/fc", token=root)
        assert r.status == 200, r
        # The refused write never ran.
        assert r.json["data"]["data"]["v"] == "first"
        assert r.json["data"]["metadata"]["version"] == 1
        assert s.api("GET", "sys/health").json["audit_failing"] is False
        wait_for(lambda: any(e["request"]["path"] == "secret/data/fc" for e in listener.lines),
                 what="entries on the restarted listener")
        # The refusal was counted where the "audit failing" alert looks.
        counters = s.api("GET", "sys/metrics", token=root).json["Counters"]
        failures = [c for c in counters if c["Name"] == "vault.audit.log_request_failure"]
        assert failures and failures[0]["Count"] >= 1, counters
    finally:
        listener.stop()


def test_device_survives_a_restart(server):
    s, root = server
    log = os.path.join(s.workdir, "audit.log")
    enable_file(s, root, log)
    assert s.api("POST", "secret/data/x", {"data": {"v": 1}}, token=root).status == 200
    s.restart()
    s.unseal(s.keys)
    wait_for(lambda: s.api("GET", "sys/audit", token=root).status == 200,
             what="the restarted server to serve requests")
    r = s.api("GET", "sys/audit", token=root)
    assert list(r.json["data"]) == ["file/"], r
    before = len(read_lines(log))
    assert s.api("GET", "secret/data/x", token=root).status == 200
    after = read_lines(log)[before:]
    assert [e["type"] for e in after if e["request"]["path"] == "secret/data/x"] == \
        ["request", "response"]
    # The salt is the stored one: the same value hashes the same way.
    h = s.api("POST", "sys/audit-hash/file", {"input": "same"}, token=root).json["data"]["hash"]
    s.restart()
    s.unseal(s.keys)
    wait_for(lambda: s.api("GET", "sys/audit", token=root).status == 200,
             what="the restarted server to serve requests")
    assert s.api("POST", "sys/audit-hash/file", {"input": "same"},
                 token=root).json["data"]["hash"] == h


def test_bad_options_are_refused(server):
    s, root = server
    cases = [
        ({"type": "file", "options": {"file_path": "/tmp/x", "bogus": "1"}}, "bogus"),
        ({"type": "file", "options": {}}, "file_path"),
        ({"type": "file", "options": {"file_path": "stdout", "mode": "rw"}}, "mode"),
        ({"type": "nope"}, "type"),
        ({"type": "socket", "options": {"address": "nohost"}}, "address"),
        ({"type": "socket", "options": {"address": "127.0.0.1:1", "socket_type": "sctp"}},
         "socket_type"),
        ({"type": "syslog", "options": {"facility": "NOPE"}}, "facility"),
        ({"type": "file", "options": {"file_path": "discard", "log_raw": "maybe"}}, "log_raw"),
    ]
    for body, word in cases:
        r = s.api("PUT", "sys/audit/bad", body, token=root)
        assert r.status == 400, (body, r)
        assert word in r.errors[0], (body, r.errors)
    assert s.api("GET", "sys/audit", token=root).json["data"] == {}


def test_cli_enables_lists_and_disables_devices(server):
    s, root = server
    log = os.path.join(s.workdir, "cli-audit.log")
    r = s.cli("audit", "list", token=root)
    assert r.returncode == 2 and "No audit devices are enabled." in r.stderr, r
    r = s.cli("audit", "enable", "-path=mine", "-description=cli test", "file",
              f"file_path={log}", "mode=0640", token=root)
    assert r.returncode == 0, r
    assert "Success! Enabled the file audit device at: mine/" in r.stdout
    assert oct(os.stat(log).st_mode & 0o777) == "0o640"
    r = s.cli("audit", "list", token=root)
    assert r.returncode == 0 and "mine/" in r.stdout and "cli test" in r.stdout, r
    r = s.cli("audit", "list", "-detailed", token=root)
    assert r.returncode == 0 and "replicated" in r.stdout and log in r.stdout, r
    r = s.cli("audit", "enable", "file", "nokeyvalue", token=root)
    assert r.returncode != 0 and "KEY=VALUE" in r.stderr, r
    r = s.cli("audit", "enable", "-path=bad", "file", "file_path=discard", "colour=blue",
              token=root)
    assert r.returncode == 2 and "colour" in r.stderr, r
    r = s.cli("audit", "disable", "mine", token=root)
    assert r.returncode == 0 and "Disabled audit device" in r.stdout, r
    assert s.api("GET", "sys/audit", token=root).json["data"] == {}
