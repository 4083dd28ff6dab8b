"""A tiny KV v2 client for the chaos workload (stdlib http.client only).

Every call answers a Result(outcome, result, status, error):
  outcome "ok"      took effect (write/cas) or observed (read); `result` is
                    what history.py records: {"value", "version"} or None
                    (missing key) for a read, {"version"} for a write.
  outcome "fail"    definitely did not take effect: a 4xx answer. For the
                    check-and-set mismatch (400 "check-and-set parameter did
                    not match the current version") result is
                    {"cas_mismatch": True}, an observation the checker uses.
  outcome "unknown" may or may not have taken effect: timeout, refused or
                    reset connection, 5xx, an unreadable answer.

The secret's data is {"value": <value>}; a read of data without that field
reports the whole data object as the value.

    kv = KVClient("127.0.0.1:8200", token, mount="secret", timeout=5)
    kv.write("k1", "c1-7")        -> Result("ok", {"version": 3}, 200, None)
    kv.cas_write("k1", "c1-8", 3) -> Result("ok", {"version": 4}, 200, None)
    kv.read("k1")                 -> Result("ok", {"value": "c1-8", "version": 4}, 200, None)

RecordingClient wraps a KVClient and a history.Recorder so that every call
is recorded with its client and node names.
"""

import http.client
import json
import socket
import urllib.parse
from collections import namedtuple

Result = namedtuple("Result", "outcome result status error")

CAS_MISMATCH = "check-and-set parameter did not match the current version"
MAX_REDIRECTS = 3


def _split_address(address):
    if "://" not in address:
        address = "http://" + address
    parsed = urllib.parse.urlsplit(address)
    return parsed.scheme, parsed.hostname, parsed.port


class KVClient:
    def __init__(self, address, token, mount="secret", timeout=5.0, ssl_context=None):
        self.address = address
        self.token = token
        self.mount = mount.strip("/")
        self.timeout = timeout
        self.ssl_context = ssl_context

    def _path(self, key):
        return f"/v1/{self.mount}/data/{urllib.parse.quote(key)}"

    def _request(self, method, path, body=None):
        """(status, parsed JSON or None) or raises OSError / HTTPException.
        Follows up to MAX_REDIRECTS 307/308 answers (a standby that redirects
        did not act on the request)."""
        address = self.address
        payload = None if body is None else json.dumps(body).encode()
        for _ in range(MAX_REDIRECTS + 1):
            scheme, host, port = _split_address(address)
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                                   context=self.ssl_context)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
            try:
                headers = {"X-Vault-Token": self.token}
                if payload is not None:
                    headers["Content-Type"] = "application/json"
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
                location = response.getheader("Location")
            finally:
                conn.close()
            if status in (307, 308) and location:
                target = urllib.parse.urlsplit(location)
                address = f"{target.scheme}://{target.netloc}"
                path = target.path + (f"?{target.query}" if target.query else "")
                continue
            try:
                parsed = json.loads(raw) if raw.strip() else None
            except ValueError:
                parsed = None
            return status, parsed
        raise http.client.HTTPException("too many redirects")

    def _call(self, method, path, body):
        try:
            return self._request(method, path, body), None
        except (OSError, socket.timeout, http.client.HTTPException) as e:
            return None, f"{type(e).__name__}: {e}"

    def read(self, key):
        answer, error = self._call("GET", self._path(key), None)
        if answer is None:
            return Result("unknown", None, None, error)
        status, body = answer
        if status == 200:
            try:
                data = body["data"]
                version = int(data["metadata"]["version"])
                secret = data["data"]
            except (TypeError, KeyError, ValueError):
                return Result("unknown", None, status, "unreadable answer")
            value = secret.get("value", secret) if isinstance(secret, dict) else secret
            return Result("ok", {"value": value, "version": version}, status, None)
        if status == 404 and not _errors(body):
            if isinstance(body, dict) and body.get("data"):
                # A deleted or destroyed version (404 with its metadata): not
                # in the checker's model; the workload does not delete.
                return Result("fail", None, status, "latest version deleted")
            return Result("ok", None, status, None)  # no such key: Vault's bare 404
        return _failure(status, body)

    def write(self, key, value):
        return self._write(key, value, None)

    def cas_write(self, key, value, cas):
        return self._write(key, value, int(cas))

    def _write(self, key, value, cas):
        body = {"data": {"value": value}}
        if cas is not None:
            body["options"] = {"cas": cas}
        answer, error = self._call("POST", self._path(key), body)
        if answer is None:
            return Result("unknown", None, None, error)
        status, body = answer
        if status == 200:
            try:
                version = int(body["data"]["version"])
            except (TypeError, KeyError, ValueError):
                # It took effect, at a version we cannot tell: "unknown" is
                # weaker than the truth, never wrong.
                return Result("unknown", None, status, "answer without data.version")
            return Result("ok", {"version": version}, status, None)
        if status == 204:
            return Result("unknown", None, status, "204 without the new version")
        return _failure(status, body)


def _errors(body):
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [str(e) for e in body["errors"]]
    return []


def _failure(status, body):
    errors = _errors(body)
    error = "; ".join(errors) or f"HTTP {status}"
    if 400 <= status < 500:
        if any(CAS_MISMATCH in e for e in errors):
            return Result("fail", {"cas_mismatch": True}, status, error)
        return Result("fail", None, status, error)
    return Result("unknown", None, status, error)


class RecordingClient:
    """A KVClient whose every call is recorded in a history.Recorder."""

    def __init__(self, kv, recorder, client, node):
        self.kv = kv
        self.recorder = recorder
        self.client = client
        self.node = node

    def _run(self, op, key, call, value=None, cas=None):
        with self.recorder.op(self.client, self.node, op, key, value=value, cas=cas) as rec:
            result = call()
            if result.outcome == "ok":
                rec.ok(result.result)
            elif result.outcome == "fail":
                rec.fail(result.result)
            # "unknown": left to the context manager
        return result

    def read(self, key):
        return self._run("read", key, lambda: self.kv.read(key))

    def write(self, key, value):
        return self._run("write", key, lambda: self.kv.write(key, value), value=value)

    def cas_write(self, key, value, cas):
        return self._run("cas", key, lambda: self.kv.cas_write(key, value, cas),
                         value=value, cas=cas)
