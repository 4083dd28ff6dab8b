"""Runs the real tresor binary for integration tests.

TresorServer starts `tresor server` on a free loopback port with its own
temporary directory and config, waits until it answers, and stops it
(SIGTERM, or kill -9 for crash tests). api() speaks HTTP with the standard
library; raw_http() sends exact bytes (bad methods, NUL in paths, oversized
headers) and reads the answer until the server closes; cli() runs the tresor
CLI against the server. wait_for() is how tests wait: on a condition, never
on a fixed sleep.
"""
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BINARY = os.environ.get("TRESOR_BINARY") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "tresor")


# Listening ports come from below the kernel's ephemeral range (32768 and
# up): a port picked there could be taken by any test's outgoing connection
# before the server binds it. scripts/cluster tests use 10000-19999.
_PORT_RANGE = (20000, 32700)


def free_port():
    """A loopback port that is free now, chosen at random below the
    ephemeral range. Another test may still take it before the server binds;
    TresorServer.start retries a first start that fails that way."""
    while True:
        port = random.randrange(*_PORT_RANGE)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def wait_for(condition, timeout=30.0, interval=0.02, what="condition"):
    """Polls condition() until it returns a true value; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def errors(self):
        """The `errors` list of a Vault error body; fails if the body has none."""
        body = self.json
        assert isinstance(body, dict) and isinstance(body.get("errors"), list), self
        return body["errors"]

    def __repr__(self):
        return f"Response({self.status}, {self.body[:300]!r})"


def read_http_response(sock):
    """Reads one HTTP response from sock until the server closes it.

    Returns (status, headers with lower-case names, raw body bytes). A reset
    after the response has arrived is treated like a close.
    """
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"not an HTTP response: {data[:200]!r}"
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# Every server the running test created, so that a failing test's report
# can show their logs (conftest.py) before their directories go away.
SERVERS_OF_THIS_TEST = []


class TresorServer:
    def __init__(self, storage="raft", workdir=None, extra_config="", listener_extra="",
                 tls=None, env=None, storage_extra="", storage_block=None):
        SERVERS_OF_THIS_TEST.append(self)
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tresor-it-")
            workdir = self._tmp.name
        self.workdir = workdir
        self.port = free_port()
        self.cluster_port = free_port()
        self.scheme = "https" if tls else "http"
        self.address = f"{self.scheme}://127.0.0.1:{self.port}"
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "server.hcl")
        self.log_path = os.path.join(workdir, "server.log")
        self.storage = storage
        self.extra_config = extra_config
        self.storage_extra = storage_extra  # lines inside the storage block
        # A whole storage stanza (and ha_storage, if any) for backends with
        # no path (postgresql, etcd); api_addr and cluster_addr come with it.
        self.storage_block = storage_block
        self.listener_extra = listener_extra
        self.tls = tls
        self.env = env or {}
        self.proc = None
        self._started = False
        self.closing_log_tail = None
        self.write_config()

    def write_config(self, log_level="info"):
        if self.storage_block is not None:
            storage = self.storage_block.rstrip("\n") + "\n"
        elif self.storage == "inmem":
            storage = 'storage "inmem" {}\n'
        else:
            storage = (f'storage "{self.storage}" {{\n  path = "{self.data_dir}"\n'
                       f'{self.storage_extra}}}\n')
        if self.storage == "raft" or self.storage_block is not None:
            storage += (f'cluster_addr = "http://127.0.0.1:{self.cluster_port}"\n'
                        f'api_addr = "{self.address}"\n')
        if self.tls:
            tls = (f'  tls_cert_file = "{self.tls[0]}"\n  tls_key_file = "{self.tls[1]}"\n')
        else:
            tls = "  tls_disable = true\n"
        with open(self.config_path, "w") as f:
            f.write(storage)
            f.write(f'listener "tcp" {{\n  address = "127.0.0.1:{self.port}"\n{tls}'
                    f'{self.listener_extra}}}\n')
            f.write(f'log_level = "{log_level}"\n{self.extra_config}\n')

    def start(self, wait=True):
        first_start = not self._started
        self._started = True
        self._spawn()
        if not wait:
            return self
        for _ in range(5):
            try:
                self.wait_ready()
                return self
            except AssertionError:
                # Only a first start may move to other ports: later, the
                # addresses are part of the node's identity in the cluster.
                if not (first_start and self._port_was_taken()):
                    raise
            self.stop()
            self.port, self.cluster_port = free_port(), free_port()
            self.address = f"{self.scheme}://127.0.0.1:{self.port}"
            self.write_config()
            self._spawn()
        self.wait_ready()
        return self

    def _open_log(self):
        self.log = open(self.log_path, "ab")
        # Readiness is judged from what this process logs after this point.
        self._log_offset = self.log.tell()

    def _spawn(self):
        self._open_log()
        self.proc = subprocess.Popen([BINARY, "server", f"-config={self.config_path}"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **self.env})

    def _port_was_taken(self):
        return "Address already in use" in self.logs() or "address already in use" in self.logs()

    def _logged_listening(self):
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            return f"listening on 127.0.0.1:{self.port} ".encode() in f.read()

    def wait_ready(self):
        # A connection alone is not proof: if another test's server took our
        # port first, the connection would reach that server. The log line
        # says this process holds the port.
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.logs()}")
            if not self._logged_listening():
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False
        wait_for(ready, what="the server to listen")

    @property
    def pid(self):
        return self.proc.pid

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signals the server and waits for it; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        code = self.stop()
        assert code == 0, f"server exited with {code}:\n{self.logs()}"
        return self.start()

    def close(self):
        """Stops the server (it must exit 0: a sanitizer report or a crash
        at shutdown fails the test) and removes its directory."""
        code = self.stop()
        logs = self.logs() if code not in (0, None) else ""
        self.closing_log_tail = self.log_tail()
        if self._tmp:
            self._tmp.cleanup()
        assert code in (0, None), f"server exited with {code} at shutdown:\n{logs}"

    def log_tail(self, lines=80):
        """The last lines the server logged ("" when it never ran)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64 * 1024))
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- HTTP ---------------------------------------------------------------
    def api(self, method, path, body=None, token=None, headers=None, raw=None, context=None,
            timeout=30):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(f"{self.address}/v1/{path}", data=data, method=method)
        if token:
            req.add_header("X-Vault-Token", token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
                return Response(r.status, r.read().decode(), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read().decode(), dict(e.headers))

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def raw_http(self, request_bytes):
        """Sends request_bytes as they are and reads the answer until close.

        request_bytes should ask for `Connection: close` (or be something the
        server closes after). A server that stops reading early (413) may
        reset the rest of the send; the response is read all the same.
        """
        with self.connect() as sock:
            try:
                sock.sendall(request_bytes)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, headers, body = read_http_response(sock)
        return Response(status, body.decode(errors="replace"), headers)

    # --- common flows -------------------------------------------------------
    def seal_status(self):
        r = self.api("GET", "sys/seal-status")
        assert r.status == 200, r
        return r.json

    def init(self, shares=1, threshold=1):
        r = self.api("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
        assert r.status == 200, r
        return r.json

    def unseal(self, keys):
        r = None
        for k in keys:
            r = self.api("PUT", "sys/unseal", {"key": k})
            assert r.status == 200, r
        return r.json

    def key_term(self, token):
        r = self.api("GET", "sys/key-status", token=token)
        assert r.status == 200, r
        return r.json["term"]

    def cli(self, *args, token=None, input=None, env=None):
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("VAULT_", "TRESOR_"))}
        full_env["TRESOR_ADDR"] = self.address
        full_env["HOME"] = self.workdir
        if token:
            full_env["TRESOR_TOKEN"] = token
        full_env.update(env or {})
        return subprocess.run([BINARY, *args], capture_output=True, text=True, input=input,
                              env=full_env, timeout=60)


def voters(node, token):
    """The voters of node's raft configuration."""
    r = node.api("GET", "sys/storage/raft/configuration", token=token)
    assert r.status == 200, r
    return [s for s in r.json["data"]["config"]["servers"] if s["voter"]]


def active_node(nodes):
    """The running node of `nodes` that reports itself active, or None."""
    for n in nodes:
        if n.proc is None:
            continue
        r = n.api("GET", "sys/leader")
        if r.status == 200 and r.json["is_self"]:
            return n
    return None


def join_and_unseal(node, leader, keys):
    """Joins a started, uninitialised raft node to leader's cluster and
    unseals it with the cluster's keys."""
    r = node.api("POST", "sys/storage/raft/join", {"leader_api_addr": leader.address})
    assert r.status == 200, r
    assert r.json["data"]["joined"] is True
    node.unseal(keys)
    assert node.seal_status()["sealed"] is False


def close_all(nodes):
    """Closes every node, also when closing one fails (a bad exit code at
    shutdown), and then raises the first failure."""
    failures = []
    for n in nodes:
        try:
            n.close()
        except AssertionError as e:
            failures.append(e)
    if failures:
        raise failures[0]


def form_raft_cluster(count=3, shares=3, threshold=2, storage_extra="", **server_args):
    """Starts `count` raft nodes, initialises the first, joins and unseals
    the others, and waits until all are voters. `server_args` go to each
    TresorServer (extra_config, listener_extra). Returns (nodes, keys, root)."""
    nodes = [TresorServer(storage="raft", storage_extra=storage_extra, **server_args)
             for _ in range(count)]
    try:
        for n in nodes:
            n.start()
        first = nodes[0]
        init = first.init(shares, threshold)
        keys, root = init["keys"], init["root_token"]
        first.unseal(keys[:threshold])
        wait_for(lambda: first.api("GET", "sys/leader").json["is_self"], timeout=30,
                 what="the first node to become active")
        for n in nodes[1:]:
            join_and_unseal(n, first, keys[:threshold])
        wait_for(lambda: len(voters(first, root)) == count, timeout=60,
                 what="every node to be promoted to voter")
    except BaseException:
        # The caller gets no nodes to clean up when forming fails; the
        # forming error is the one to report.
        try:
            close_all(nodes)
        except AssertionError:
            pass
        raise
    return nodes, keys, root


# The root token DevServer gives its server unless told otherwise.
ROOT_TOKEN = "root-token-for-tests"


class DevServer(TresorServer):
    """`tresor server -dev` (in memory, initialised, unsealed, KV v2 at
    secret/, the given root token) on a free port; start() returns once it is
    unsealed and secret/ answers."""

    def __init__(self, root_token=ROOT_TOKEN):
        super().__init__(storage="inmem")
        self.root_token = root_token

    def start(self, wait=True):
        self._open_log()
        self.proc = subprocess.Popen(
            [BINARY, "server", "-dev", f"-dev-root-token-id={self.root_token}",
             f"-dev-listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        if wait:
            self.wait_ready()
            # -dev listens first and initialises afterwards: wait until it is
            # unsealed and secret/ answers.
            wait_for(lambda: self.api("GET", "sys/seal-status").json.get("sealed") is False,
                     what="the dev server to unseal")
            wait_for(lambda: self.api("GET", "sys/mounts/secret", token=self.root_token)
                     .status == 200, what="secret/ to be mounted")
        return self
