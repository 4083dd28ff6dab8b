"""The bad-input table (docs/bad-input.md), one test per row, against the
real binary.

ROWS below holds each row's doc text (endpoint, input, status, message
fragment) and how to send it; test_doc_and_rows_agree fails when the doc and
ROWS drift apart. Each row asserts the status, a Vault error body whose
message contains the fragment, that the server's state (initialised, sealed,
threshold/shares, unseal progress and nonce, key term) is exactly as before,
and that the server still answers afterwards.
"""
import json
import os
import re
from dataclasses import dataclass, field

import pytest

from harness import TresorServer

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "bad-input.md")
ROOT = "<root token>"  # replaced by the server's real root token


@dataclass
class Row:
    endpoint: str
    input: str
    status: int
    fragment: str
    state: str  # "uninit", "sealed" (progress 1 of 2) or "unsealed"
    method: str = "PUT"
    target: str = ""  # defaults to /v1/<endpoint>
    body: bytes = None
    headers: dict = field(default_factory=dict)
    raw: bytes = None  # the whole request, sent as is

    def doc_cells(self):
        return (self.endpoint, self.input, str(self.status), self.fragment)

    def request(self, root_token):
        if self.raw is not None:
            return self.raw
        target = self.target or f"/v1/{self.endpoint}"
        lines = [f"{self.method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        for name, value in self.headers.items():
            lines.append(f"{name}: {value.replace(ROOT, root_token)}")
        if self.body is not None:
            lines.append(f"Content-Length: {len(self.body)}")
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + (self.body or b"")


def body(obj):
    return json.dumps(obj).encode()


ROOT_HEADER = {"X-Vault-Token": ROOT}
BAD_TOKEN = {"X-Vault-Token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"}
HEX_32_BYTES = "ab" * 32
HEX_34_BYTES = "ab" * 34
B64_32_BYTES = "q" * 43 + "="
DEEP = b'{"a": ' + b"[" * 400 + b"]" * 400 + b"}"
BIG = 32 * 1024 * 1024

ROWS = [
    # sys/init
    Row("sys/init", "`PUT`, body `{\"secret_shares\": 1,` (malformed JSON)", 400,
        "failed to parse JSON input: syntax error at byte", "uninit",
        body=b'{"secret_shares": 1,'),
    Row("sys/init", "`PUT`, body `[1, 2]` (JSON, not an object)", 400,
        "the body must be a JSON object", "uninit", body=b"[1, 2]"),
    Row("sys/init", "`PUT`, body `\"init\"` (a JSON string)", 400,
        "the body must be a JSON object", "uninit", body=b'"init"'),
    Row("sys/init", "`PUT`, a body nested 400 levels deep", 400,
        "nesting deeper than 300 levels", "uninit", body=DEEP),
    Row("sys/init", "`PUT`, `secret_shares` a string (`\"5\"`)", 400,
        "secret_shares: expected an integer, got a string", "uninit",
        body=body({"secret_shares": "5", "secret_threshold": 3})),
    Row("sys/init", "`PUT`, `secret_threshold` a fraction (`2.5`)", 400,
        "secret_threshold: expected an integer, got a number with a fraction", "uninit",
        body=body({"secret_shares": 5, "secret_threshold": 2.5})),
    Row("sys/init", "`PUT`, `secret_shares` a list", 400,
        "secret_shares: expected an integer, got a list", "uninit",
        body=body({"secret_shares": [5], "secret_threshold": 3})),
    Row("sys/init", "`PUT`, `secret_shares` 2^64 - 1", 400,
        "secret_shares: integer out of range", "uninit",
        body=b'{"secret_shares": 18446744073709551615, "secret_threshold": 3}'),
    Row("sys/init", "`PUT`, `secret_shares` 1e20 (beyond 64 bits)", 400,
        "secret_shares: integer out of range", "uninit",
        body=b'{"secret_shares": 100000000000000000000, "secret_threshold": 3}'),
    Row("sys/init", "`PUT`, body `{}` (fields missing)", 400,
        "secret_shares and secret_threshold are required", "uninit", body=b"{}"),
    Row("sys/init", "`PUT`, no body", 400,
        "secret_shares and secret_threshold are required", "uninit"),
    Row("sys/init", "`PUT`, only `secret_shares`", 400,
        "secret_shares and secret_threshold are required", "uninit",
        body=body({"secret_shares": 3})),
    Row("sys/init", "`PUT`, `secret_shares` 0", 400,
        "secret_shares must be at least 1", "uninit",
        body=body({"secret_shares": 0, "secret_threshold": 0})),
    Row("sys/init", "`PUT`, `secret_shares` 256", 400,
        "secret_shares must be at most 255", "uninit",
        body=body({"secret_shares": 256, "secret_threshold": 3})),
    Row("sys/init", "`PUT`, `secret_shares` -1", 400,
        "secret_shares must be 1 to 255", "uninit",
        body=body({"secret_shares": -1, "secret_threshold": 1})),
    Row("sys/init", "`PUT`, `secret_threshold` 0", 400,
        "secret_threshold must be at least 1", "uninit",
        body=body({"secret_shares": 3, "secret_threshold": 0})),
    Row("sys/init", "`PUT`, `secret_threshold` larger than `secret_shares`", 400,
        "secret_threshold cannot be larger than secret_shares", "uninit",
        body=body({"secret_shares": 3, "secret_threshold": 4})),
    Row("sys/init", "`PUT`, `secret_threshold` 1 with 3 shares", 400,
        "secret_threshold must be greater than 1 when secret_shares > 1", "uninit",
        body=body({"secret_shares": 3, "secret_threshold": 1})),
    Row("sys/init", "`PUT`, `pgp_keys` given", 400,
        "pgp_keys is not supported", "uninit",
        body=body({"secret_shares": 1, "secret_threshold": 1, "pgp_keys": ["a2V5"]})),
    Row("sys/init", "`PUT`, `root_token_pgp_key` given", 400,
        "root_token_pgp_key is not supported", "uninit",
        body=body({"secret_shares": 1, "secret_threshold": 1, "root_token_pgp_key": "a2V5"})),
    Row("sys/init", "`PUT`, `recovery_shares` given", 400,
        "recovery_shares is not supported", "uninit",
        body=body({"secret_shares": 1, "secret_threshold": 1, "recovery_shares": 1})),
    Row("sys/init", "`PUT`, `stored_shares` given", 400,
        "stored_shares is not supported", "uninit",
        body=body({"secret_shares": 1, "secret_threshold": 1, "stored_shares": 1})),
    Row("sys/init", "`PUT`, `Content-Length` over 32 MiB (the default limit)", 413,
        "request body too large: the limit is 33554432 bytes", "uninit",
        raw=(b"PUT /v1/sys/init HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n{"
             % (BIG + 1))),
    Row("sys/init", "`DELETE`", 405, "delete is not supported on sys/init", "uninit",
        method="DELETE"),
    Row("sys/init", "`PUT` when initialised (sealed)", 400, "Vault is already initialized",
        "sealed", body=body({"secret_shares": 1, "secret_threshold": 1})),
    Row("sys/init", "`PUT` when initialised (unsealed)", 400, "Vault is already initialized",
        "unsealed", body=body({"secret_shares": 1, "secret_threshold": 1})),
    # sys/unseal
    Row("sys/unseal", "`PUT`, body `{\"key\": ` (malformed JSON)", 400,
        "failed to parse JSON input", "sealed", body=b'{"key": '),
    Row("sys/unseal", "`PUT`, body `[\"key\"]` (JSON, not an object)", 400,
        "the body must be a JSON object", "sealed", body=b'["key"]'),
    Row("sys/unseal", "`PUT`, `key` a number", 400, "key: expected a string, got an integer",
        "sealed", body=body({"key": 12})),
    Row("sys/unseal", "`PUT`, body `{}` (no `key`)", 400, "'key' must be specified", "sealed",
        body=b"{}"),
    Row("sys/unseal", "`PUT`, no body", 400, "'key' must be specified", "sealed"),
    Row("sys/unseal", "`PUT`, `key` empty", 400, "'key' must be specified", "sealed",
        body=body({"key": ""})),
    Row("sys/unseal", "`PUT`, `reset` a string (`\"yes\"`)", 400,
        "reset: expected a boolean, got a string", "sealed", body=body({"reset": "yes"})),
    Row("sys/unseal", "`PUT`, `key` neither hex nor base64", 400,
        "'key' must be a valid hex or base64 string", "sealed",
        body=body({"key": "not a key!"})),
    Row("sys/unseal", "`PUT`, `key` hex of 32 bytes (one short)", 400,
        "is not an unseal key share of this server: expected 33 bytes", "sealed",
        body=body({"key": HEX_32_BYTES})),
    Row("sys/unseal", "`PUT`, `key` hex of 34 bytes (one long)", 400,
        "is not an unseal key share of this server: expected 33 bytes", "sealed",
        body=body({"key": HEX_34_BYTES})),
    Row("sys/unseal", "`PUT`, `key` base64 of 32 bytes", 400,
        "expected 33 bytes, got 32", "sealed", body=body({"key": B64_32_BYTES})),
    Row("sys/unseal", "`PUT`, `migrate` true", 400, "seal migration is not supported",
        "sealed", body=body({"key": HEX_32_BYTES, "migrate": True})),
    Row("sys/unseal", "`PUT`, body over 32 MiB", 413, "request body too large", "sealed",
        raw=(b"PUT /v1/sys/unseal HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
             % (BIG + 10) + b'{"key": "' + b"a" * 65536)),
    Row("sys/unseal", "`GET`", 405, "read is not supported on sys/unseal", "sealed",
        method="GET"),
    Row("sys/unseal", "`PUT` when not initialised", 400, "Vault is not initialized", "uninit",
        body=body({"key": "ab" * 33})),
    # sys/seal
    Row("sys/seal", "`PUT`, no token", 403, "permission denied", "unsealed"),
    Row("sys/seal", "`PUT`, unknown token", 403, "permission denied", "unsealed",
        headers=BAD_TOKEN),
    Row("sys/seal", "`PUT`, unknown `Authorization: Bearer` token", 403, "permission denied",
        "unsealed", headers={"Authorization": "Bearer hvs.AAAAAAAAAAAAAAAAAAAAAAAA"}),
    Row("sys/seal", "`PUT`, root token under `Authorization: Basic` (not a token)", 403,
        "permission denied", "unsealed", headers={"Authorization": f"Basic {ROOT}"}),
    Row("sys/seal", "`GET`, root token", 405, "read is not supported on sys/seal", "unsealed",
        method="GET", headers=ROOT_HEADER),
    Row("sys/seal", "`PUT`, root token, malformed JSON body", 400,
        "failed to parse JSON input", "unsealed", headers=ROOT_HEADER, body=b"{"),
    Row("sys/seal", "`PUT` while sealed, root token", 503, "Vault is sealed", "sealed",
        headers=ROOT_HEADER),
    # sys/seal-status
    Row("sys/seal-status", "`PUT`", 405, "update is not supported on sys/seal-status",
        "sealed"),
    Row("sys/seal-status", "`DELETE`", 405, "delete is not supported on sys/seal-status",
        "unsealed", method="DELETE"),
    # sys/health
    Row("sys/health", "`GET ?activecode=abc`", 400, "bad value for activecode parameter",
        "unsealed", method="GET", target="/v1/sys/health?activecode=abc"),
    Row("sys/health", "`GET ?sealedcode=600` (out of range)", 400,
        "bad value for sealedcode parameter", "sealed", method="GET",
        target="/v1/sys/health?sealedcode=600"),
    Row("sys/health", "`GET ?standbyok=maybe`", 400, "bad value for standbyok parameter",
        "uninit", method="GET", target="/v1/sys/health?standbyok=maybe"),
    Row("sys/health", "`PUT`", 405, "update is not supported on sys/health", "unsealed"),
    # sys/leader
    Row("sys/leader", "`POST`", 405, "update is not supported on sys/leader", "unsealed",
        method="POST"),
    # sys/key-status
    Row("sys/key-status", "`GET`, no token", 403, "permission denied", "unsealed",
        method="GET"),
    Row("sys/key-status", "`GET`, unknown token", 403, "permission denied", "unsealed",
        method="GET", headers=BAD_TOKEN),
    Row("sys/key-status", "`GET` while sealed, root token", 503, "Vault is sealed", "sealed",
        method="GET", headers=ROOT_HEADER),
    Row("sys/key-status", "`PUT`, root token", 405, "update is not supported on sys/key-status",
        "unsealed", headers=ROOT_HEADER),
    # sys/rotate
    Row("sys/rotate", "`PUT`, no token", 403, "permission denied", "unsealed"),
    Row("sys/rotate", "`PUT`, unknown token", 403, "permission denied", "unsealed",
        headers=BAD_TOKEN),
    Row("sys/rotate", "`PUT`, root token, body `[1]`", 400, "the body must be a JSON object",
        "unsealed", headers=ROOT_HEADER, body=b"[1]"),
    Row("sys/rotate", "`GET`, root token", 405, "read is not supported on sys/rotate",
        "unsealed", method="GET", headers=ROOT_HEADER),
    Row("sys/rotate", "`PUT` while sealed, root token", 503, "Vault is sealed", "sealed",
        headers=ROOT_HEADER),
    # unknown paths
    Row("unknown paths", "`GET sys/no-such-thing`, root token", 404, "no handler for route",
        "unsealed", method="GET", target="/v1/sys/no-such-thing", headers=ROOT_HEADER),
    Row("unknown paths", "`GET sys/no-such-thing`, no token", 403, "permission denied",
        "unsealed", method="GET", target="/v1/sys/no-such-thing"),
    Row("unknown paths", "`GET sys/no-such-thing` while sealed", 503, "Vault is sealed",
        "sealed", method="GET", target="/v1/sys/no-such-thing", headers=ROOT_HEADER),
    Row("unknown paths", "`GET /v2/sys/health` (not under /v1/)", 404,
        "only /v1/ paths are served", "unsealed", method="GET", target="/v2/sys/health"),
    Row("unknown paths", "`GET /`", 404, "only /v1/ paths are served", "uninit", method="GET",
        target="/"),
    # any path
    Row("any path", "method `FOO`", 405, "unsupported method", "unsealed", method="FOO",
        target="/v1/sys/health"),
    Row("any path", "method `list` (methods are case-sensitive)", 405, "unsupported method",
        "unsealed", method="list", target="/v1/sys/health"),
    Row("any path", "`%00` (encoded NUL) in the path", 400, "invalid path: contains a NUL byte",
        "unsealed", method="GET", target="/v1/sys/health%00"),
    Row("any path", "raw NUL byte in the path", 400, "malformed HTTP request", "unsealed",
        raw=b"GET /v1/sys/he\x00alth HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    Row("any path", "bad escape `%zz` in the path", 400, "invalid path: invalid URL escape",
        "unsealed", method="GET", target="/v1/sys/he%zzalth"),
    Row("any path", "bad escape `%zz` in the query", 400, "invalid URL escape", "unsealed",
        method="GET", target="/v1/sys/health?a=%zz"),
    Row("any path", "headers over 64 KiB", 413, "request headers too large", "unsealed",
        method="GET", target="/v1/sys/health", headers={"X-Padding": "a" * 70000}),
    Row("any path", "not HTTP (`HELLO`)", 400, "malformed HTTP request", "unsealed",
        raw=b"HELLO\r\n\r\n"),
]


def parse_doc_rows():
    """The (endpoint, input, status, fragment) cells of the doc's table."""
    rows = []
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("| ") or line.startswith("| endpoint"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) != 4 or set(cells[0]) <= {"-", " "}:
                continue
            endpoint = cells[0].strip("`")
            fragment = cells[3][1:-1] if cells[3].startswith("`") else cells[3]
            rows.append((endpoint, cells[1], cells[2], fragment))
    return rows


def test_doc_and_rows_agree():
    doc_rows = parse_doc_rows()
    assert doc_rows, "no table rows found in docs/bad-input.md"
    assert doc_rows == [r.doc_cells() for r in ROWS]


def test_doc_names_every_endpoint():
    endpoints = {r.endpoint for r in ROWS}
    for e in ("sys/init", "sys/unseal", "sys/seal", "sys/seal-status", "sys/health",
              "sys/leader", "sys/key-status", "sys/rotate", "unknown paths", "any path"):
        assert e in endpoints


class Servers:
    """One server per state, shared by every row (rows leave state unchanged)."""

    def __init__(self):
        self.servers = {s: TresorServer().start() for s in ("uninit", "sealed", "unsealed")}
        self.tokens = {"uninit": "none"}
        sealed = self.servers["sealed"].init(3, 2)
        self.servers["sealed"].unseal(sealed["keys"][:1])  # progress 1 of 2
        self.tokens["sealed"] = sealed["root_token"]
        unsealed = self.servers["unsealed"].init(1, 1)
        self.servers["unsealed"].unseal(unsealed["keys"])
        self.tokens["unsealed"] = unsealed["root_token"]

    def snapshot(self, state):
        server = self.servers[state]
        status = server.seal_status()
        snap = {k: status[k] for k in ("initialized", "sealed", "t", "n", "progress", "nonce")}
        if not status["sealed"]:
            snap["term"] = server.key_term(self.tokens[state])
        return snap

    def close(self):
        for s in self.servers.values():
            s.close()


@pytest.fixture(scope="module")
def servers():
    s = Servers()
    yield s
    s.close()


def row_id(row):
    return re.sub(r"[^a-z0-9]+", "-", f"{row.endpoint} {row.input} {row.state}".lower())[:80]


@pytest.mark.parametrize("row", ROWS, ids=[row_id(r) for r in ROWS])
def test_bad_input(servers, row):
    server = servers.servers[row.state]
    before = servers.snapshot(row.state)
    r = server.raw_http(row.request(servers.tokens[row.state]))
    assert r.status == row.status, r
    errors = r.errors
    assert errors and all(isinstance(e, str) and e for e in errors), r
    assert any(row.fragment in e for e in errors), r
    assert r.headers["content-type"].startswith("application/json")
    # Nothing changed, and the server still answers.
    assert servers.snapshot(row.state) == before
    assert server.proc.poll() is None
    assert server.api("GET", "sys/health").status in (200, 501, 503)
