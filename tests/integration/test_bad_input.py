"""The bad-input table (docs/bad-input.md), one test per row, against the
real binary.

ROWS below holds each row's doc text (endpoint, input, status, message
fragment) and how to send it; test_doc_and_rows_agree fails when the doc and
ROWS drift apart. Each row asserts the status, a Vault error body whose
message contains the fragment, that the server's state (initialised, sealed,
threshold/shares, unseal progress and nonce, key term; on the unsealed server
also the mount and auth tables, every policy's text, the token accessors, a
user token, the KV v1/v2 data and config and root's cubbyhole) is exactly as
before, and that the server still answers afterwards.

test_huge_lists_are_bounded covers the huge inputs that are not table rows
because Tresor (like Vault) accepts them: each gets an answer in bounded time
and the server keeps serving.
"""
import json
import os
import re
from dataclasses import dataclass, field

import pytest

from harness import TresorServer

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "bad-input.md")
ROOT = "<root token>"  # replaced by the server's real root token
USER = "<user token>"  # replaced by the unsealed server's token with policy `reader`


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

    def request(self, root_token, user_token="none"):
        if self.raw is not None:
            return self.raw
        target = self.target or f"/v1/{self.endpoint}"
        lines = [f"{self.method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        for name, value in self.headers.items():
            value = value.replace(ROOT, root_token).replace(USER, user_token)
            lines.append(f"{name}: {value}")
        payload = self.body
        if payload is not None:
            payload = payload.replace(USER.encode(), user_token.encode())
            lines.append(f"Content-Length: {len(payload)}")
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + (payload or b"")


def body(obj):
    return json.dumps(obj).encode()


ROOT_HEADER = {"X-Vault-Token": ROOT}
USER_HEADER = {"X-Vault-Token": USER}
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
    Row("sys/unseal", "`PUT`, `migrate` true with no migration configured", 400,
        "no seal migration is configured", "sealed", body=body({"key": "ab" * 33, "migrate": True})),
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
    # sys/rekey/*, sys/generate-root/*
    Row("sys/rekey/init", "`PUT`, `secret_threshold` 3 > `secret_shares` 2", 400,
        "secret_threshold cannot be larger than secret_shares", "unsealed", body=body({"secret_shares": 2, "secret_threshold": 3})),
    Row("sys/rekey/init", "`PUT`, no `secret_shares`", 400,
        "secret_shares and secret_threshold are required", "unsealed", body=body({"secret_threshold": 2})),
    Row("sys/rekey/init", "`PUT`, `pgp_keys` given", 400,
        "pgp_keys is not supported", "unsealed", body=body({"secret_shares": 1, "secret_threshold": 1, "pgp_keys": ["a"]})),
    Row("sys/rekey/init", "`PUT`, unknown field `shares`", 400,
        "unrecognized parameters: [shares]", "unsealed", body=body({"secret_shares": 1, "secret_threshold": 1, "shares": 1})),
    Row("sys/rekey/init", "`GET` while sealed", 503,
        "Vault is sealed", "sealed", method="GET"),
    Row("sys/rekey/update", "`PUT` with no rekey in progress", 400,
        "no rekey is in progress", "unsealed", body=body({"key": "ab" * 33, "nonce": "n"})),
    Row("sys/rekey/update", "`PUT`, no `key`", 400,
        "'key' must be specified", "unsealed", body=body({"nonce": "n"})),
    Row("sys/rekey/update", "`PUT`, `key` hex of 32 bytes", 400,
        "is not an unseal key share of this server: expected 33 bytes", "unsealed", body=body({"key": HEX_32_BYTES, "nonce": "n"})),
    Row("sys/rekey/verify", "`GET` with no verification in progress", 400,
        "no rekey verification is in progress", "unsealed", method="GET"),
    Row("sys/generate-root/attempt", "`PUT`, `otp` of 5 characters", 400,
        "OTP string is wrong length", "unsealed", body=body({"otp": "short"})),
    Row("sys/generate-root/attempt", "`PUT`, `pgp_key` given", 400,
        "pgp_key is not supported", "unsealed", body=body({"pgp_key": "AAAA"})),
    Row("sys/generate-root/attempt", "`PUT` while sealed", 503,
        "Vault is sealed", "sealed"),
    Row("sys/generate-root/update", "`PUT` with no attempt in progress", 400,
        "no root generation is in progress", "unsealed", body=body({"key": "ab" * 33, "nonce": "n"})),
    Row("sys/generate-root/update", "`PUT`, unknown field `token`", 400,
        "unrecognized parameters: [token]", "unsealed", body=body({"key": "ab" * 33, "nonce": "n", "token": "x"})),
    # sys/replication/*
    Row("sys/replication/dr/status", "`PUT`", 405,
        "update is not supported on sys/replication/dr/status", "unsealed", method="PUT"),
    Row("sys/replication/dr/primary/enable", "`POST`, root token, unknown field `bogus`", 400,
        "unrecognized parameters: [bogus]", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"bogus": 1})),
    Row("sys/replication/dr/primary/enable", "`POST`, root token, `log_retained_entries` 0", 400,
        "log_retained_entries must be at least 1", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"log_retained_entries": 0})),
    Row("sys/replication/dr/primary/enable", "`POST`, root token, `primary_cluster_addr` without a port", 400,
        "must be host:port", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"primary_cluster_addr": "https://dr.example"})),
    Row("sys/replication/dr/primary/enable", "`POST`, user token", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER, body=body({})),
    Row("sys/replication/dr/primary/secondary-token", "`POST`, root token, no `id`", 400,
        "id is required", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"ttl": "1m"})),
    Row("sys/replication/dr/primary/secondary-token", "`POST`, root token, not a DR primary", 400,
        "this cluster is not a DR primary", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"id": "dr-east"})),
    Row("sys/replication/dr/primary/secondary-token", "`POST`, root token, `secondary_public_key` given", 400,
        "secondary_public_key is not supported", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"id": "dr-east", "secondary_public_key": "k"})),
    Row("sys/replication/dr/primary/revoke-secondary", "`POST`, root token, unknown `id`", 404,
        "no DR secondary", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"id": "nobody"})),
    Row("sys/replication/dr/primary/demote", "`POST`, root token, not a DR primary", 400,
        "this cluster is not a DR primary", "unsealed", method="POST", headers=ROOT_HEADER, body=body({})),
    Row("sys/replication/dr/primary/disable", "`POST`, root token, not a DR primary", 400,
        "this cluster is not a DR primary", "unsealed", method="POST", headers=ROOT_HEADER, body=body({})),
    Row("sys/replication/dr/secondary/enable", "`POST`, root token, `token` not an activation token", 400,
        "not a DR activation token", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"token": "hvs.abc"})),
    Row("sys/replication/dr/secondary/enable", "`POST`, root token, `ca_file` given", 400,
        "ca_file is not supported", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"token": "x", "ca_file": "/etc/ca.pem"})),
    Row("sys/replication/dr/secondary/enable", "`POST`, root token, no `token`", 400,
        "token is required", "unsealed", method="POST", headers=ROOT_HEADER, body=body({})),
    Row("sys/replication/dr/secondary/promote", "`POST`, not a DR secondary", 400,
        "this cluster is not a DR secondary", "unsealed", method="POST", body=body({"dr_operation_token": "hvs.x"})),
    Row("sys/replication/dr/secondary/promote", "`POST`, `force` not a boolean", 400,
        "force", "unsealed", method="POST", body=body({"dr_operation_token": "hvs.x", "force": "maybe"})),
    Row("sys/replication/dr/secondary/update-primary", "`POST`, no `token`", 400,
        "token is required", "unsealed", method="POST", body=body({"dr_operation_token": "hvs.x"})),
    Row("sys/replication/dr/secondary/disable", "`POST`, not a DR secondary", 400,
        "this cluster is not a DR secondary", "unsealed", method="POST", body=body({"dr_operation_token": "hvs.x"})),
    Row("sys/replication/dr/secondary/generate-operation-token/attempt", "`PUT`, `otp` of 5 characters", 400,
        "OTP string is wrong length", "unsealed", body=body({"otp": "short"})),
    # sys/storage/raft/snapshot-auto/*
    Row("sys/storage/raft/snapshot-auto/config/nightly", "`POST`, root token, no `interval`", 400,
        "interval is required", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"storage_type": "local", "path_prefix": "/tmp/x"})),
    Row("sys/storage/raft/snapshot-auto/config/nightly", "`POST`, root token, `storage_type` `google-gcs`", 400,
        "storage_type must be", "unsealed", method="POST", headers=ROOT_HEADER, body=body({"interval": 60, "storage_type": "google-gcs"})),
    Row("sys/storage/raft/snapshot-auto/config/nightly", "`POST`, user token", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER, body=body({"interval": 60})),
    Row("sys/storage/raft/snapshot-auto/config/a b", "`POST`, root token, a name with a space", 400,
        "the config name may hold only", "unsealed", method="POST", target="/v1/sys/storage/raft/snapshot-auto/config/a%20b", headers=ROOT_HEADER, body=body({"interval": 60})),
    Row("sys/storage/raft/snapshot-auto/status/nightly", "`GET`, root token, no such config", 404,
        "no snapshot-auto config named", "unsealed", method="GET", headers=ROOT_HEADER),
    Row("sys/storage/raft/snapshot-auto/config/nightly", "`POST`, root token, `pitr_segment_interval` 0", 400,
        "pitr_segment_interval must be at least 1s", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"interval": 60, "storage_type": "local", "path_prefix": "/tmp/x", "pitr_segment_interval": 0})),
    Row("sys/storage/raft/snapshot-pitr/restore", "`POST`, root token, no `to`", 400,
        "to is required", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"storage_type": "local", "path_prefix": "/tmp/x"})),
    Row("sys/storage/raft/snapshot-pitr/restore", "`POST`, root token, `to` `yesterday`", 400,
        "RFC 3339", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"storage_type": "local", "path_prefix": "/tmp/x", "to": "yesterday"})),
    Row("sys/storage/raft/snapshot-pitr/restore", "`POST`, user token", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER,
        body=body({"storage_type": "local", "path_prefix": "/tmp/x", "to": "1"})),
    Row("sys/storage/raft/snapshot-pitr/inspect", "`POST`, root token, `storage_type` `ftp`", 400,
        "storage_type must be", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"storage_type": "ftp"})),
    # sys/storage/raft/cluster-tls (the cluster port's CA)
    Row("sys/storage/raft/cluster-tls/rotate", "`POST`, root token, unknown field `force`", 400,
        "unrecognized parameters", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"force": True})),
    Row("sys/storage/raft/cluster-tls/rotate", "`POST`, user token", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER, body=body({})),
    Row("sys/storage/raft/cluster-tls", "`GET`, user token", 403,
        "permission denied", "unsealed", method="GET", headers=USER_HEADER),
    Row("sys/storage/raft/snapshot-load", "`POST`, root token, empty body", 400,
        "the file is empty", "unsealed", method="POST", headers=ROOT_HEADER),
    Row("sys/storage/raft/snapshot-load", "`POST`, root token, a body that is not an archive", 400,
        "nothing was loaded", "unsealed", method="POST", headers=ROOT_HEADER, body=b"not a snapshot"),
    Row("sys/storage/raft/snapshot-load", "`POST`, user token", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER, body=b"x"),
    Row("sys/storage/raft/snapshot-load/nope", "`GET`, root token, nothing loaded", 404,
        "no snapshot nope is loaded", "unsealed", method="GET", headers=ROOT_HEADER),
    # sys/tools/*
    Row("sys/tools/random", "`POST`, root token, `bytes` 0", 400,
        "bytes must be greater than 0", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"bytes": 0})),
    Row("sys/tools/random", "`POST`, root token, `source` `seal`", 400,
        "Tresor has no seal entropy source", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"source": "seal"})),
    Row("sys/tools/hash", "`POST`, root token, no `input`", 400,
        "input must be specified", "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/tools/hash", "`POST`, root token, `algorithm` `md5`", 400,
        "unsupported algorithm md5", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"input": "aGVsbG8=", "algorithm": "md5"})),
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
    # --- secrets engines, policies and tokens (unsealed; the fixture data is
    # KV v2 at secret/ with secret/data/a at version 1, KV v1 at kv1/, policy
    # `reader` and a user token holding it; see Servers) ---
    # sys/mounts
    Row("sys/mounts", "`POST sys/mounts/m1`, `type` a number", 400,
        "type: expected a string, got an integer", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER, body=body({"type": 5})),
    Row("sys/mounts", "`POST sys/mounts/m1`, unknown `type` (`nosuch`)", 400,
        "plugin not found in the catalog: nosuch", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER, body=body({"type": "nosuch"})),
    Row("sys/mounts", "`POST sys/mounts/m1`, no `type`", 400, "type: field is required",
        "unsealed", method="POST", target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=b"{}"),
    Row("sys/mounts", "`POST sys/mounts/m1`, `config` a string", 400,
        "config: expected an object, got a string", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "config": "x"})),
    Row("sys/mounts", "`POST sys/mounts/m1`, `default_lease_ttl` `\"1x\"`", 400,
        "default_lease_ttl: invalid duration \"1x\": unknown unit \"x\"", "unsealed",
        method="POST", target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "config": {"default_lease_ttl": "1x"}})),
    Row("sys/mounts", "`POST sys/mounts/m1`, `default_lease_ttl` `\"-5s\"`", 400,
        "default_lease_ttl: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "config": {"default_lease_ttl": "-5s"}})),
    Row("sys/mounts", "`POST sys/mounts/m1`, `max_lease_ttl` a list", 400,
        "max_lease_ttl: expected a duration", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "config": {"max_lease_ttl": [1]}})),
    Row("sys/mounts", "`POST sys/mounts/m1`, kv `options.version` `\"3\"`", 400,
        "kv: version must be \"1\" or \"2\", got \"3\"", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "options": {"version": "3"}})),
    Row("sys/mounts", "`POST sys/mounts/m1`, `options` a string", 400,
        "options: expected an object of strings, got a string", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "options": "v2"})),
    Row("sys/mounts", "`POST sys/mounts/m1`, `local` `\"maybe\"`", 400,
        "local: expected true or false", "unsealed", method="POST",
        target="/v1/sys/mounts/m1", headers=ROOT_HEADER,
        body=body({"type": "kv", "local": "maybe"})),
    Row("sys/mounts", "`POST sys/mounts/secret` (in use)", 400,
        "path is already in use at secret/", "unsealed", method="POST",
        target="/v1/sys/mounts/secret", headers=ROOT_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/secret/x` (inside a mount)", 400,
        "path is already in use at secret/", "unsealed", method="POST",
        target="/v1/sys/mounts/secret/x", headers=ROOT_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/sys/x` (reserved)", 400, "\"sys/\" is reserved",
        "unsealed", method="POST", target="/v1/sys/mounts/sys/x", headers=ROOT_HEADER,
        body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/a*b`", 400, "'*' and '+' are not allowed",
        "unsealed", method="POST", target="/v1/sys/mounts/a*b", headers=ROOT_HEADER,
        body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/a/../b`", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed", method="POST",
        target="/v1/sys/mounts/a/../b", headers=ROOT_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/a/%2e%2e/b` (encoded dots)", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed", method="POST",
        target="/v1/sys/mounts/a/%2e%2e/b", headers=ROOT_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/a%00b` (encoded NUL)", 400,
        "invalid path: contains a NUL byte", "unsealed", method="POST",
        target="/v1/sys/mounts/a%00b", headers=ROOT_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`POST sys/mounts/m1`, user token (no policy for it)", 403,
        "permission denied", "unsealed", method="POST", target="/v1/sys/mounts/m1",
        headers=USER_HEADER, body=body({"type": "kv"})),
    Row("sys/mounts", "`DELETE sys/mounts/sys`", 400, "cannot disable \"sys/\": it is built in",
        "unsealed", method="DELETE", target="/v1/sys/mounts/sys", headers=ROOT_HEADER),
    Row("sys/mounts", "`DELETE sys/mounts/cubbyhole`", 400,
        "cannot disable \"cubbyhole/\": it is built in", "unsealed", method="DELETE",
        target="/v1/sys/mounts/cubbyhole", headers=ROOT_HEADER),
    # sys/mounts/<path>/tune
    Row("sys/mounts/secret/tune", "`default_lease_ttl` `\"1x\"`", 400,
        "default_lease_ttl: invalid duration \"1x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"default_lease_ttl": "1x"})),
    Row("sys/mounts/secret/tune", "`max_lease_ttl` `\"-5s\"`", 400,
        "max_lease_ttl: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"max_lease_ttl": "-5s"})),
    Row("sys/mounts/secret/tune", "`default_lease_ttl` a boolean", 400,
        "default_lease_ttl: expected a duration", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"default_lease_ttl": True})),
    Row("sys/mounts/secret/tune", "default `2h` above max `1h`", 400,
        "the default lease TTL cannot be greater than the max lease TTL", "unsealed",
        method="POST", headers=ROOT_HEADER,
        body=body({"default_lease_ttl": "2h", "max_lease_ttl": "1h"})),
    Row("sys/mounts/secret/tune", "`options.version` `\"1\"` on a v2 mount", 400,
        "changing the version of a KV mount (2 to 1) is not supported", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"options": {"version": "1"}})),
    Row("sys/mounts/nomount/tune", "`POST`, no mount there", 400,
        "cannot tune \"nomount/\": no mount at that path", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"default_lease_ttl": "1h"})),
    # sys/remount
    Row("sys/remount", "`POST`, body `{}`", 400, "from: field is required", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/remount", "`POST`, `from` a number", 400, "from: expected a string, got an integer",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"from": 1, "to": "x"})),
    Row("sys/remount", "`POST`, `from` not a mount", 400, "no mount at \"nomount/\"",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"from": "nomount", "to": "x"})),
    Row("sys/remount", "`POST`, `to` reserved (`sys/x`)", 400, "\"sys/\" is reserved",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"from": "secret", "to": "sys/x"})),
    Row("sys/remount", "`POST`, `to` in use (`kv1`)", 400, "path is already in use at kv1/",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"from": "secret", "to": "kv1"})),
    Row("sys/remount", "`POST`, `to` with a `..` segment", 400,
        "\".\" and \"..\" segments are not allowed", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"from": "secret", "to": "a/../b"})),
    Row("sys/remount", "`POST`, `from` `sys` (built in)", 400,
        "cannot move \"sys/\": it is built in", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"from": "sys", "to": "sys2"})),
    # sys/auth
    Row("sys/auth", "`POST sys/auth/nosuch`, unknown type", 400,
        "plugin not found in the catalog: nosuch", "unsealed", method="POST",
        target="/v1/sys/auth/nosuch", headers=ROOT_HEADER, body=body({"type": "nosuch"})),
    Row("sys/auth", "`POST sys/auth/token2`, type `token`", 400,
        "cannot enable another \"token\"", "unsealed", method="POST",
        target="/v1/sys/auth/token2", headers=ROOT_HEADER, body=body({"type": "token"})),
    Row("sys/auth", "`DELETE sys/auth/token`", 400,
        "cannot disable \"auth/token/\": it is built in", "unsealed", method="DELETE",
        target="/v1/sys/auth/token", headers=ROOT_HEADER),
    Row("sys/auth", "`POST sys/auth/token/tune`, `default_lease_ttl` `\"1x\"`", 400,
        "default_lease_ttl: invalid duration \"1x\"", "unsealed", method="POST",
        target="/v1/sys/auth/token/tune", headers=ROOT_HEADER,
        body=body({"default_lease_ttl": "1x"})),
    # sys/policy, sys/policies/acl
    Row("sys/policy", "`PUT sys/policy/bad`, unknown capability on line 2", 400,
        "failed to parse policy: line 2: unknown capability \"reed\"", "unsealed",
        target="/v1/sys/policy/bad", headers=ROOT_HEADER,
        body=body({"policy": 'path "a" {\n  capabilities = ["reed"]\n}\n'})),
    Row("sys/policy", "`PUT sys/policy/bad`, `[` never closed", 400,
        "failed to parse policy: line 2, column 18:", "unsealed", target="/v1/sys/policy/bad",
        headers=ROOT_HEADER, body=body({"policy": 'path "a" {\n  capabilities = ["read"\n'})),
    Row("sys/policy", "`PUT sys/policy/bad`, `allowed_parameters` on line 3", 400,
        "line 3: \"allowed_parameters\" is not supported yet", "unsealed",
        target="/v1/sys/policy/bad", headers=ROOT_HEADER,
        body=body({"policy": 'path "a" {\n  capabilities = ["read"]\n'
                             '  allowed_parameters = {}\n}\n'})),
    Row("sys/policy", "`PUT sys/policy/bad`, `*` inside a pattern", 400,
        "'*' is only allowed at the end of a path", "unsealed", target="/v1/sys/policy/bad",
        headers=ROOT_HEADER, body=body({"policy": 'path "a*b" {\n  capabilities = ["read"]\n}\n'})),
    Row("sys/policy", "`PUT sys/policy/bad`, JSON policy with an unknown capability", 400,
        "failed to parse policy: path \"a\": unknown capability \"reed\"", "unsealed",
        target="/v1/sys/policy/bad", headers=ROOT_HEADER,
        body=body({"policy": '{"path": {"a": {"capabilities": ["reed"]}}}'})),
    Row("sys/policy", "`PUT sys/policy/bad`, malformed JSON policy", 400,
        "failed to parse policy: line 1, column 10: invalid JSON", "unsealed",
        target="/v1/sys/policy/bad", headers=ROOT_HEADER, body=body({"policy": '{"path": '})),
    Row("sys/policy", "`PUT sys/policy/bad`, `policy` a number", 400,
        "policy: expected a string, got an integer", "unsealed", target="/v1/sys/policy/bad",
        headers=ROOT_HEADER, body=body({"policy": 5})),
    Row("sys/policy", "`PUT sys/policy/bad`, no `policy`", 400,
        "'policy' parameter not supplied or empty", "unsealed", target="/v1/sys/policy/bad",
        headers=ROOT_HEADER, body=b"{}"),
    Row("sys/policy", "`PUT sys/policy/root`", 400, "cannot update \"root\" policy",
        "unsealed", target="/v1/sys/policy/root", headers=ROOT_HEADER,
        body=body({"policy": 'path "a" {\n  capabilities = ["read"]\n}\n'})),
    Row("sys/policy", "`DELETE sys/policy/root`", 400, "cannot delete \"root\" policy",
        "unsealed", method="DELETE", target="/v1/sys/policy/root", headers=ROOT_HEADER),
    Row("sys/policy", "`DELETE sys/policy/default`", 400, "cannot delete \"default\" policy",
        "unsealed", method="DELETE", target="/v1/sys/policy/default", headers=ROOT_HEADER),
    Row("sys/policy", "`PUT sys/policy/%2e%2e` (encoded dots)", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed",
        target="/v1/sys/policy/%2e%2e", headers=ROOT_HEADER,
        body=body({"policy": 'path "a" {\n  capabilities = ["read"]\n}\n'})),
    Row("sys/policy", "`PUT sys/policy/a%2Fb` (encoded slash)", 400,
        "policy name must not contain '/'", "unsealed", target="/v1/sys/policy/a%2Fb",
        headers=ROOT_HEADER, body=body({"policy": 'path "a" {\n  capabilities = ["read"]\n}\n'})),
    Row("sys/policy", "`PUT sys/policy/bad`, user token", 403, "permission denied",
        "unsealed", target="/v1/sys/policy/bad", headers=USER_HEADER,
        body=body({"policy": 'path "*" {\n  capabilities = ["sudo"]\n}\n'})),
    Row("sys/policies/acl", "`PUT sys/policies/acl/bad`, unknown top-level key on line 4", 400,
        "failed to parse policy: line 4: unknown key \"bogus\"", "unsealed",
        target="/v1/sys/policies/acl/bad", headers=ROOT_HEADER,
        body=body({"policy": 'path "a" {\n  capabilities = ["read"]\n}\nbogus "x" {}\n'})),
    Row("sys/policies/acl", "`DELETE sys/policies/acl/default`", 400,
        "cannot delete \"default\" policy", "unsealed", method="DELETE",
        target="/v1/sys/policies/acl/default", headers=ROOT_HEADER),
    # sys/capabilities, sys/capabilities-self
    Row("sys/capabilities", "`POST`, no `token`", 400, "'token' must be supplied", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"paths": ["a"]})),
    Row("sys/capabilities", "`POST`, unknown `token`", 400, "invalid token", "unsealed",
        method="POST", headers=ROOT_HEADER,
        body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA", "paths": ["a"]})),
    Row("sys/capabilities", "`POST`, `paths` a number", 400,
        "paths: expected a list of strings, got an integer", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"token": USER, "paths": 5})),
    Row("sys/capabilities-accessor", "`POST`, no `accessor`", 400, "'accessor' must be supplied",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"paths": ["a"]})),
    Row("sys/capabilities-accessor", "`POST`, unknown `accessor`", 400, "invalid accessor",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"accessor": "AAAAAAAAAAAAAAAAAAAAAAAA", "paths": ["a"]})),
    Row("sys/capabilities-self", "`POST`, body `{}`", 400, "'path' or 'paths' must be supplied",
        "unsealed", method="POST", headers=USER_HEADER, body=b"{}"),
    Row("sys/capabilities-self", "`POST`, `paths` a list of numbers", 400,
        "paths: expected a string, got an integer", "unsealed", method="POST",
        headers=USER_HEADER, body=body({"paths": [1, 2]})),
    # auth/token/*
    Row("auth/token/create", "`POST`, `policies` a number", 400,
        "policies: expected a list of strings, got an integer", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"policies": 5})),
    Row("auth/token/create", "`POST`, `ttl` `\"1x\"`", 400,
        "ttl: invalid duration \"1x\": unknown unit \"x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"ttl": "1x"})),
    Row("auth/token/create", "`POST`, `ttl` `\"-5s\"`", 400,
        "ttl: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"ttl": "-5s"})),
    Row("auth/token/create", "`POST`, `explicit_max_ttl` `\"1x\"`", 400,
        "explicit_max_ttl: invalid duration \"1x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"explicit_max_ttl": "1x"})),
    Row("auth/token/create", "`POST`, `period` `\"-5s\"`", 400,
        "period: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"period": "-5s"})),
    Row("auth/token/create", "`POST`, `num_uses` -1", 400, "number of uses cannot be negative",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"num_uses": -1})),
    Row("auth/token/create", "`POST`, `num_uses` `\"many\"`", 400,
        "num_uses: expected an integer", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"num_uses": "many"})),
    Row("auth/token/create", "`POST`, `renewable` `\"maybe\"`", 400,
        "renewable: expected true or false", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"renewable": "maybe"})),
    Row("auth/token/create", "`POST`, `meta` a list", 400,
        "meta: expected an object of strings, got a list", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"meta": ["a"]})),
    Row("auth/token/create", "`POST`, `meta` value an object", 400,
        "meta: expected string values, got an object", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"meta": {"a": {"b": 1}}})),
    Row("auth/token/create", "`POST`, `type` `batch`, `num_uses` 2", 400,
        "batch tokens cannot have \"num_uses\" set", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"type": "batch", "num_uses": 2})),
    Row("auth/token/create", "`POST`, unknown `role_name`", 400, "unknown role r",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"role_name": "r"})),
    Row("auth/token/create", "`POST`, `entity_alias` given", 400,
        "entity_alias is not supported", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"entity_alias": "r"})),
    Row("auth/token/create", "`POST`, `id` with a space", 400,
        "token ID must be printable ASCII without spaces", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"id": "has space"})),
    Row("auth/token/create", "`POST`, `id` of 300 characters", 400,
        "token ID must be at most 256 characters", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"id": "x" * 300})),
    Row("auth/token/create", "`POST`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed", method="POST",
        headers=USER_HEADER, body=body({"policies": ["root"]})),
    Row("auth/token/create/role1", "`POST`, no such role", 400, "unknown role role1",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/token/lookup", "`POST`, `token` a number", 400,
        "token: expected a string, got an integer", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"token": 5})),
    Row("auth/token/lookup", "`POST`, unknown `token`", 403, "bad token", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"})),
    Row("auth/token/lookup-accessor", "`POST`, no `accessor`", 400, "missing accessor",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/token/lookup-accessor", "`POST`, unknown `accessor`", 400, "invalid accessor",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"accessor": "nope"})),
    Row("auth/token/renew", "`POST`, `increment` `\"1x\"`", 400,
        "increment: invalid duration \"1x\"", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"token": USER, "increment": "1x"})),
    Row("auth/token/renew", "`POST`, `increment` `\"-5s\"`", 400,
        "increment: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token": USER, "increment": "-5s"})),
    Row("auth/token/renew", "`POST`, unknown `token`", 400, "token not found", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"})),
    Row("auth/token/renew", "`POST`, no `token`", 400, "missing token ID", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/token/renew-self", "`POST`, `increment` `\"1x\"`", 400,
        "increment: invalid duration \"1x\"", "unsealed", method="POST", headers=USER_HEADER,
        body=body({"increment": "1x"})),
    Row("auth/token/revoke", "`POST`, no `token`", 400, "missing token ID", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/token/revoke-accessor", "`POST`, unknown `accessor`", 400, "invalid accessor",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"accessor": "nope"})),
    Row("auth/token/revoke-orphan", "`POST`, unknown `token`", 400, "token to revoke not found",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"})),
    Row("auth/token/revoke-orphan", "`POST`, user token (no sudo)", 403, "permission denied",
        "unsealed", method="POST", headers=USER_HEADER, body=body({"token": USER})),
    Row("auth/token/accessors", "`LIST`, user token (no sudo)", 403, "permission denied",
        "unsealed", method="LIST", headers=USER_HEADER),
    Row("auth/token/accessors", "`GET`, root token", 405,
        "read is not supported on auth/token/accessors", "unsealed", method="GET",
        headers=ROOT_HEADER),
    Row("auth/token/nosuch", "`POST`, root token", 404, "unsupported path", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    # batch tokens and token roles (docs/tokens.md)
    Row("auth/token/create", "`POST`, `type` `batch` (inheriting root's policies)", 400,
        "batch tokens cannot be root tokens", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"type": "batch"})),
    Row("auth/token/create", "`POST`, `type` `gold`", 400, "invalid 'token_type' value",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"type": "gold"})),
    Row("auth/token/create-orphan", "`POST`, `role_name` given", 400,
        "role_name is not accepted on create-orphan", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"role_name": "r"})),
    Row("auth/token/lookup", "`POST`, a forged `hvb.` batch token", 403, "bad token", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token": "hvb." + "A" * 80})),
    Row("auth/token/roles/r1", "`POST`, `token_type` `gold`", 400,
        "token_type: expected \"service\", \"batch\", \"default-service\" or \"default-batch\"",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"token_type": "gold"})),
    Row("auth/token/roles/r1", "`POST`, `token_type` `batch` (not orphan)", 400,
        "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens",
        "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"token_type": "batch", "renewable": False})),
    Row("auth/token/roles/r1", "`POST`, `token_bound_cidrs` `[\"10.0.0.0/33\"]`", 400,
        "token_bound_cidrs: \"10.0.0.0/33\" is not a valid CIDR block", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_bound_cidrs": ["10.0.0.0/33"]})),
    Row("auth/token/roles/r1", "`POST`, `path_suffix` `\"../x\"`", 400,
        "path_suffix: use letters, digits", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"path_suffix": "../x"})),
    Row("auth/token/roles/r1", "`POST`, `token_num_uses` -1", 400,
        "token_num_uses cannot be negative", "unsealed", method="POST", headers=ROOT_HEADER,
        body=body({"token_num_uses": -1})),
    Row("auth/token/roles/r1", "`POST`, `allowed_policies` a number", 400,
        "allowed_policies: expected a list of strings, got an integer", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"allowed_policies": 5})),
    Row("auth/token/roles/r1", "`POST`, `allowed_entity_aliases` given", 400,
        "allowed_entity_aliases is not supported", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"allowed_entity_aliases": ["x"]})),
    Row("auth/token/roles/r1", "`POST`, body `[1]`", 400, "must be a JSON object", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"[1]"),
    Row("auth/token/roles/-r", "`POST`, a name starting with `-`", 400, "invalid role name",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/token/roles", "`GET`", 405, "read is not supported on auth/token/roles",
        "unsealed", method="GET", headers=ROOT_HEADER),
    Row("auth/token/roles/r1", "`POST`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed", method="POST", headers=USER_HEADER,
        body=body({"orphan": True})),
    # KV v2 at secret/
    Row("secret/data/a", "`GET`, root token, `X-Vault-Namespace: team-a/`", 400,
        "namespaces are not supported by Tresor", "unsealed", method="GET",
        headers={**ROOT_HEADER, "X-Vault-Namespace": "team-a/"}),
    Row("secret/data/a", "`POST`, root token, `X-Vault-Namespace: team-a/`, body "
        "`{\"data\": {\"k\": \"v\"}}`", 400, "namespaces are not supported by Tresor", "unsealed",
        headers={**ROOT_HEADER, "X-Vault-Namespace": "team-a/"},
        body=body({"data": {"k": "v"}})),
    # Response wrapping and leases (docs/wrapping.md, docs/leases.md)
    Row("secret/data/a", "`GET`, root token, `X-Vault-Wrap-TTL: soon`", 400,
        'X-Vault-Wrap-TTL: invalid duration "soon"', "unsealed", method="GET",
        headers={**ROOT_HEADER, "X-Vault-Wrap-TTL": "soon"}),
    Row("secret/data/a", "`GET`, root token, `X-Vault-Wrap-TTL: 60s`, `X-Vault-Wrap-Format: jwt`",
        400, "X-Vault-Wrap-Format: only the default wrapping format", "unsealed", method="GET",
        headers={**ROOT_HEADER, "X-Vault-Wrap-TTL": "60s", "X-Vault-Wrap-Format": "jwt"}),
    Row("secret/data/a", "`GET`, root token, `X-Vault-Wrap-TTL: 10000h`", 400,
        "is longer than the system's max TTL", "unsealed", method="GET",
        headers={**ROOT_HEADER, "X-Vault-Wrap-TTL": "10000h"}),
    Row("sys/wrapping/unwrap", "`POST`, root token, body `{}` (root is not a wrapping token)", 400,
        "wrapping token is not valid or does not exist", "unsealed", method="POST",
        headers=ROOT_HEADER, body=b"{}"),
    Row("sys/wrapping/unwrap", "`POST`, root token, `token` a number", 400,
        "token: expected a string, got an integer", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"token": 5})),
    Row("sys/wrapping/unwrap", "`POST`, root token, unknown field `tokn`", 400,
        "Endpoint ignored these unrecognized parameters: [tokn]", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"tokn": "x"})),
    Row("sys/wrapping/lookup", "`POST`, no token, unknown `token`", 400,
        "wrapping token is not valid or does not exist", "unsealed", method="POST",
        body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"})),
    Row("sys/wrapping/rewrap", "`POST`, root token, unknown `token`", 400,
        "wrapping token is not valid or does not exist", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"token": "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"})),
    Row("sys/wrapping/wrap", "`POST`, root token, body `{}`", 400, "empty request body",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/leases/lookup", "`PUT`, root token, no `lease_id`", 400, "lease_id: missing",
        "unsealed", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/leases/lookup", "`PUT`, root token, unknown `lease_id`", 400, "invalid lease",
        "unsealed", headers=ROOT_HEADER, body=body({"lease_id": "auth/token/create/" + "ab" * 32})),
    Row("sys/leases/renew", "`PUT`, root token, unknown `lease_id`", 400, "lease not found",
        "unsealed", headers=ROOT_HEADER, body=body({"lease_id": "auth/token/create/" + "ab" * 32})),
    Row("sys/leases/renew", "`PUT`, root token, `increment` `\"soon\"`", 400,
        'increment: invalid duration "soon"', "unsealed", headers=ROOT_HEADER,
        body=body({"lease_id": "auth/token/create/x", "increment": "soon"})),
    Row("sys/leases/revoke", "`PUT`, root token, `lease_id` a number", 400,
        "lease_id: expected a string, got an integer", "unsealed", headers=ROOT_HEADER,
        body=body({"lease_id": 7})),
    Row("sys/leases/revoke-prefix", "`PUT`, root token, no prefix", 400, "prefix: missing",
        "unsealed", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/leases/revoke-prefix/auth/", "`PUT`, user token (no sudo)", 403, "permission denied",
        "unsealed", headers=USER_HEADER, body=b"{}"),
    Row("sys/leases/lookup/auth/", "`LIST`, user token (no sudo)", 403, "permission denied",
        "unsealed", method="LIST", headers=USER_HEADER),
    # What a node says about itself (docs/observability.md, "Host and runtime")
    Row("sys/host-info", "`GET`, user token (no sudo)", 403, "permission denied", "unsealed",
        method="GET", headers=USER_HEADER),
    Row("sys/host-info", "`POST`, root token", 405, "update is not supported on sys/host-info",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("sys/in-flight-req", "`GET`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed", method="GET", headers=USER_HEADER),
    Row("sys/internal/counters/tokens", "`DELETE`, root token", 405,
        "delete is not supported on sys/internal/counters/tokens", "unsealed", method="DELETE",
        headers=ROOT_HEADER),
    Row("sys/config/state/sanitized", "`GET`, user token (no sudo)", 403, "permission denied",
        "unsealed", method="GET", headers=USER_HEADER),
    # Log streaming (docs/observability.md, "Log streaming (sys/monitor)")
    Row("sys/monitor", "`GET ?log_level=loud`, root token", 400,
        'log_level: unknown log level "loud"; use trace, debug, info, warn or error', "unsealed",
        method="GET", target="/v1/sys/monitor?log_level=loud", headers=ROOT_HEADER),
    Row("sys/monitor", "`GET ?log_format=xml`, root token", 400,
        'log_format: unknown log format "xml"; use standard or json', "unsealed",
        method="GET", target="/v1/sys/monitor?log_format=xml", headers=ROOT_HEADER),
    Row("sys/monitor", "`GET`, no token", 403, "permission denied", "unsealed", method="GET"),
    Row("sys/monitor", "`GET`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed", method="GET", headers=USER_HEADER),
    Row("sys/monitor", "`POST`, root token", 405, "update is not supported on sys/monitor",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    # Metrics (docs/observability.md, "Metrics")
    Row("sys/metrics", "`GET ?format=xml`, root token", 400, "format: unknown format \"xml\"",
        "unsealed", method="GET", target="/v1/sys/metrics?format=xml", headers=ROOT_HEADER),
    Row("sys/metrics", "`GET`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed", method="GET", headers=USER_HEADER),
    Row("sys/metrics", "`POST`, root token", 405, "update is not supported on sys/metrics",
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    # Audit devices (docs/audit.md)
    Row('sys/audit/f', '`PUT`, root token, no `type`', 400, 'type: missing',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"options": {"file_path": "discard"}})),
    Row('sys/audit/f', '`PUT`, root token, `type` `"tape"`', 400, 'type: unknown audit device type "tape"',
        "unsealed", method="PUT", headers=ROOT_HEADER, body=body({"type": "tape"})),
    Row('sys/audit/f', '`PUT`, root token, file, unknown option `colour`', 400, '"colour" is not an option of the file audit device',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "file", "options": {"file_path": "discard", "colour": "blue"}})),
    Row('sys/audit/f', '`PUT`, root token, file, no `file_path`', 400, 'options: file_path is required',
        "unsealed", method="PUT", headers=ROOT_HEADER, body=body({"type": "file"})),
    Row('sys/audit/f', '`PUT`, root token, file, `mode` `"rw"`', 400, 'mode "rw" is not an octal file mode',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "file", "options": {"file_path": "discard", "mode": "rw"}})),
    Row('sys/audit/f', '`PUT`, root token, file in a missing directory', 400, 'file_path: opening /nonexistent-dir/a.log: No such file or directory',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "file", "options": {"file_path": "/nonexistent-dir/a.log"}})),
    Row('sys/audit/f', '`PUT`, root token, `log_raw` `"maybe"`', 400, 'log_raw "maybe" must be true or false',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "file", "options": {"file_path": "discard", "log_raw": "maybe"}})),
    Row('sys/audit/f', '`PUT`, root token, `options` a string', 400, 'options: expected an object of strings, got a string',
        "unsealed", method="PUT", headers=ROOT_HEADER, body=body({"type": "file", "options": "x"})),
    Row('sys/audit/s', '`PUT`, root token, socket, `socket_type` `"sctp"`', 400, 'socket_type "sctp" must be tcp or udp',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "socket", "options": {"address": "127.0.0.1:9", "socket_type": "sctp"}})),
    Row('sys/audit/s', '`PUT`, root token, socket, `address` without a port', 400, 'address "nohost" must be host:port',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "socket", "options": {"address": "nohost"}})),
    Row('sys/audit/y', '`PUT`, root token, syslog, `facility` `"NOPE"`', 400, 'facility: "NOPE" is not a syslog facility',
        "unsealed", method="PUT", headers=ROOT_HEADER,
        body=body({"type": "syslog", "options": {"facility": "NOPE"}})),
    Row('sys/audit/f', '`PUT`, user token (no sudo)', 403, 'permission denied',
        "unsealed", method="PUT", headers=USER_HEADER,
        body=body({"type": "file", "options": {"file_path": "discard"}})),
    Row('sys/audit', '`GET`, user token (no sudo)', 403, 'permission denied',
        "unsealed", method="GET", headers=USER_HEADER),
    Row('sys/audit-hash/f', '`POST`, root token, no `input`', 400, 'input: missing',
        "unsealed", method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row('sys/audit-hash/f', '`POST`, root token, no device at the path', 400, 'no audit device is enabled at "f/"',
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"input": "x"})),
    Row("secret/data/a", "`POST`, `data` a string", 400, "data: expected an object, got a string",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"data": "x"})),
    Row("secret/data/a", "`POST`, body `{}`", 400, "no data provided", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("secret/data/a", "`POST`, `options.cas` a string", 400,
        "cas: expected an integer, got a string", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"data": {"k": "v"}, "options": {"cas": "1"}})),
    Row("secret/data/a", "`POST`, `options.cas` 7 (the version is 1)", 400,
        "check-and-set parameter did not match the current version", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"data": {"k": "v"}, "options": {"cas": 7}})),
    Row("secret/data/a", "`POST`, `options` a string", 400,
        "options: expected an object, got a string", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"data": {"k": "v"}, "options": "x"})),
    Row("secret/data/a", "`POST`, user token (read-only policy)", 403, "permission denied",
        "unsealed", method="POST", headers=USER_HEADER, body=body({"data": {"k": "v"}})),
    Row("secret/data/a", "`GET ?version=x`", 400, "version: expected an integer, got \"x\"",
        "unsealed", method="GET", target="/v1/secret/data/a?version=x", headers=ROOT_HEADER),
    Row("secret/data/a", "`GET ?version=-1`", 400, "version: must not be negative", "unsealed",
        method="GET", target="/v1/secret/data/a?version=-1", headers=ROOT_HEADER),
    Row("secret/data/a", "`PATCH` with `Content-Type: application/json`", 415,
        "PATCH requires Content-Type of application/merge-patch+json", "unsealed",
        method="PATCH", headers={**ROOT_HEADER, "Content-Type": "application/json"},
        body=body({"data": {"k": "v"}})),
    Row("secret/data/a", "`GET secret/data/x/../a`", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed", method="GET",
        target="/v1/secret/data/x/../a", headers=ROOT_HEADER),
    Row("secret/data/a", "`GET secret/data/%2e%2e/a` (encoded dots)", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed", method="GET",
        target="/v1/secret/data/%2e%2e/a", headers=ROOT_HEADER),
    Row("secret/delete/a", "`POST`, `versions` `[\"x\"]`", 400,
        "versions: expected positive version numbers, got \"x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"versions": ["x"]})),
    Row("secret/delete/a", "`POST`, `versions` `[-1]`", 400,
        "versions: expected positive version numbers, got \"-1\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"versions": [-1]})),
    Row("secret/delete/a", "`POST`, `versions` a list of 100001 numbers", 400,
        "versions: at most 1000 version numbers per request", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"versions": list(range(1, 100002))})),
    Row("secret/destroy/a", "`POST`, body `{}`", 400, "no version number provided", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("secret/destroy/a", "`GET`", 405, "unsupported operation", "unsealed", method="GET",
        headers=ROOT_HEADER),
    Row("secret/metadata/a", "`POST`, `max_versions` -1", 400, "max_versions: must not be negative",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"max_versions": -1})),
    Row("secret/metadata/a", "`POST`, `cas_required` `\"maybe\"`", 400,
        "cas_required: expected a boolean, got a string", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"cas_required": "maybe"})),
    Row("secret/metadata/a", "`POST`, `delete_version_after` `\"1x\"`", 400,
        "delete_version_after: invalid duration \"1x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"delete_version_after": "1x"})),
    Row("secret/metadata/a", "`POST`, `delete_version_after` `\"-5s\"`", 400,
        "delete_version_after: must not be negative", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"delete_version_after": "-5s"})),
    Row("secret/metadata/a", "`POST`, `custom_metadata` with 65 keys", 400,
        "custom_metadata validation failed: payload must contain at most 64 keys", "unsealed",
        method="POST", headers=ROOT_HEADER,
        body=body({"custom_metadata": {f"k{i}": "v" for i in range(65)}})),
    Row("secret/metadata/a", "`POST`, `custom_metadata` value a number", 400,
        "custom_metadata validation failed: value for key \"k\": expected a string", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"custom_metadata": {"k": 5}})),
    Row("secret/config", "`POST`, `max_versions` -1", 400, "max_versions: must not be negative",
        "unsealed", method="POST", headers=ROOT_HEADER, body=body({"max_versions": -1})),
    Row("secret/config", "`POST`, `delete_version_after` `\"1x\"`", 400,
        "delete_version_after: invalid duration \"1x\"", "unsealed", method="POST",
        headers=ROOT_HEADER, body=body({"delete_version_after": "1x"})),
    Row("secret/config", "`DELETE`", 405, "unsupported operation", "unsealed", method="DELETE",
        headers=ROOT_HEADER),
    # auth/approle/* (AppRole at approle/: role `app`, role_id `app-role-id`, see populate)
    Row("auth/approle/role/app", "`POST`, `bind_secret_id` false and no CIDR blocks", 400,
        "at least one constraint should be enabled on the role", "unsealed",
        method="POST", headers=ROOT_HEADER,
        body=body({"bind_secret_id": False, "secret_id_bound_cidrs": []})),
    Row("auth/approle/role/app", "`POST`, `secret_id_num_uses` -1", 400,
        "secret_id_num_uses cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id_num_uses": -1})),
    Row("auth/approle/role/app", "`POST`, `secret_id_ttl` `\"1x\"`", 400,
        "secret_id_ttl: invalid duration \"1x\"", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id_ttl": "1x"})),
    Row("auth/approle/role/app", "`POST`, `secret_id_bound_cidrs` `\"10.0.0.0/33\"`", 400,
        "secret_id_bound_cidrs: \"10.0.0.0/33\" is not a valid CIDR block", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id_bound_cidrs": "10.0.0.0/33"})),
    Row("auth/approle/role/app", "`POST`, `token_ttl` `2h` above `token_max_ttl` `1h`", 400,
        "token_ttl cannot be greater than token_max_ttl", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_ttl": "2h", "token_max_ttl": "1h"})),
    Row("auth/approle/role/app", "`POST`, `token_type` `gold`", 400,
        "token_type: invalid value \"gold\"", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_type": "gold"})),
    Row("auth/approle/role/app", "`POST`, `token_type` `batch` with `token_period` 60", 400,
        "token_type cannot be batch when token_period is set", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_type": "batch", "token_period": 60})),
    Row("auth/approle/role/app", "`POST`, `token_num_uses` `\"many\"`", 400,
        "token_num_uses: expected an integer", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_num_uses": "many"})),
    Row("auth/approle/role/app", "`POST`, `token_bound_cidrs` `[\"nope\"]`", 400,
        "token_bound_cidrs: \"nope\" is not a valid CIDR block", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_bound_cidrs": ["nope"]})),
    Row("auth/approle/role/app", "`POST`, `local_secret_ids` true after creation", 400,
        "local_secret_ids can only be modified during role creation", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"local_secret_ids": True})),
    Row("auth/approle/role/app", "`POST`, `role_id` empty", 400,
        "role_id: must not be empty", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"role_id": ""})),
    Row("auth/approle/role/app", "`POST`, body `[1]`", 400,
        "must be a JSON object", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"[1]"),
    Row("auth/approle/role/app", "`POST`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed",
        method="POST", headers=USER_HEADER, body=body({"token_ttl": 1})),
    Row("auth/approle/role/-x", "`POST`, a name starting with `-`", 400,
        "role_name: only letters, digits", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role", "`GET`", 405,
        "read is not supported on auth/approle/role", "unsealed",
        method="GET", headers=ROOT_HEADER),
    Row("auth/approle/role/app/role-id", "`POST`, body `{}`", 400,
        "missing role_id", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/role-id", "`DELETE`", 405,
        "delete is not supported on auth/approle/role/app/role-id", "unsealed",
        method="DELETE", headers=ROOT_HEADER),
    Row("auth/approle/role/app/secret-id", "`POST`, `num_uses` -1", 400,
        "num_uses cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"num_uses": -1})),
    Row("auth/approle/role/app/secret-id", "`POST`, `num_uses` 6 (the role allows 5)", 400,
        "num_uses cannot be higher than the role's secret_id_num_uses", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"num_uses": 6})),
    Row("auth/approle/role/app/secret-id", "`POST`, `ttl` `2h` (the role allows 1h)", 400,
        "ttl cannot be longer than the role's secret_id_ttl", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"ttl": "2h"})),
    Row("auth/approle/role/app/secret-id", "`POST`, `cidr_list` outside the role's blocks", 400,
        "cidr_list: every CIDR block must lie within the role's secret_id_bound_cidrs", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"cidr_list": "10.0.0.0/8"})),
    Row("auth/approle/role/app/secret-id", "`POST`, `metadata` `\"{\"` (not JSON)", 400,
        "metadata: expected a JSON object", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"metadata": "{"})),
    Row("auth/approle/role/app/secret-id", "`GET`", 405,
        "read is not supported on auth/approle/role/app/secret-id", "unsealed",
        method="GET", headers=ROOT_HEADER),
    Row("auth/approle/role/nope/secret-id", "`POST`, no such role", 404,
        "role \"nope\" does not exist", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/custom-secret-id", "`POST`, no `secret_id`", 400,
        "missing secret_id", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/custom-secret-id", "`POST`, `secret_id` of 5000 characters", 400,
        "secret_id is longer than maximum of 4096 bytes", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id": "s" * 5000})),
    Row("auth/approle/role/app/secret-id/lookup", "`POST`, `secret_id` a number", 400,
        "secret_id: expected a string, got an integer", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id": 5})),
    Row("auth/approle/role/app/secret-id/destroy", "`POST`, body `{}`", 400,
        "missing secret_id", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/secret-id-accessor/lookup", "`POST`, unknown `secret_id_accessor`", 404,
        "failed to find accessor entry for secret_id_accessor: \"nope\"", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id_accessor": "nope"})),
    Row("auth/approle/role/app/secret-id-accessor/destroy", "`POST`, body `{}`", 400,
        "missing secret_id_accessor", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/secret-id-accessor/destroy", "`POST`, unknown `secret_id_accessor`", 404,
        "failed to find accessor entry for secret_id_accessor: \"nope\"", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"secret_id_accessor": "nope"})),
    Row("auth/approle/role/app/token-ttl", "`POST`, body `{}`", 400,
        "missing token_ttl", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/role/app/token-ttl", "`POST`, `token_ttl` `\"-5s\"`", 400,
        "token_ttl: invalid duration \"-5s\": durations cannot be negative", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"token_ttl": "-5s"})),
    Row("auth/approle/role/app/bind-secret-id", "`POST`, `bind_secret_id` `\"maybe\"`", 400,
        "bind_secret_id: expected true or false", "unsealed",
        method="POST", headers=ROOT_HEADER, body=body({"bind_secret_id": "maybe"})),
    Row("auth/approle/role/app/local-secret-ids", "`POST`", 405,
        "update is not supported on auth/approle/role/app/local-secret-ids", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("auth/approle/login", "`POST`, no `role_id`", 400,
        "missing role_id", "unsealed",
        method="POST", body=body({"secret_id": "s"})),
    Row("auth/approle/login", "`POST`, `role_id` a number", 400,
        "role_id: expected a string, got an integer", "unsealed",
        method="POST", body=body({"role_id": 5})),
    Row("auth/approle/login", "`POST`, unknown `role_id`", 400,
        "invalid role or secret ID", "unsealed",
        method="POST", body=body({"role_id": "no-such-role", "secret_id": "s"})),
    Row("auth/approle/login", "`POST`, wrong `secret_id`", 400,
        "invalid role or secret ID", "unsealed",
        method="POST", body=body({"role_id": "app-role-id", "secret_id": "wrong"})),
    Row("auth/approle/login", "`POST`, no `secret_id`", 400,
        "missing secret_id", "unsealed",
        method="POST", body=body({"role_id": "app-role-id"})),
    Row("auth/approle/login", "`GET`", 405,
        "read is not supported on auth/approle/login", "unsealed",
        method="GET"),
    Row("auth/approle/tidy/secret-id", "`GET`", 405,
        "read is not supported on auth/approle/tidy/secret-id", "unsealed",
        method="GET", headers=ROOT_HEADER),
    Row("auth/approle/tidy/secret-id", "`POST`, user token (its policies do not allow it)", 403,
        "permission denied", "unsealed",
        method="POST", headers=USER_HEADER),
    # KV v1 at kv1/, cubbyhole, unknown mounts
    Row("kv1/x", "`POST`, body `{}`", 400, "missing data fields", "unsealed", method="POST",
        headers=ROOT_HEADER, body=b"{}"),
    Row("kv1/x", "`POST`, no body", 400, "missing data fields", "unsealed", method="POST",
        headers=ROOT_HEADER),
    Row("kv1/x", "`GET kv1/a/%2E%2E/x` (encoded dots)", 400,
        "invalid path: contains a '.' or '..' segment", "unsealed", method="GET",
        target="/v1/kv1/a/%2E%2E/x", headers=ROOT_HEADER),
    Row("cubbyhole/x", "`POST cubbyhole/x/` (trailing slash)", 400,
        "cannot write to a path ending in '/'", "unsealed", method="POST",
        target="/v1/cubbyhole/x/", headers=ROOT_HEADER, body=body({"a": 1})),
    Row("cubbyhole/x", "`POST`, body `{}`", 400, "missing data fields", "unsealed",
        method="POST", headers=ROOT_HEADER, body=b"{}"),
    Row("cubbyhole/x", "`PATCH`", 405, "cubbyhole does not support the patch operation",
        "unsealed", method="PATCH",
        headers={**ROOT_HEADER, "Content-Type": "application/merge-patch+json"},
        body=body({"a": 1})),
    Row("unknown paths", "`GET nomount/x`, root token", 404,
        "no handler for route \"nomount/x\"", "unsealed", method="GET",
        target="/v1/nomount/x", headers=ROOT_HEADER),
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
              "sys/leader", "sys/key-status", "sys/rotate", "unknown paths", "any path",
              "sys/mounts", "sys/mounts/secret/tune", "sys/remount", "sys/auth", "sys/policy",
              "sys/policies/acl", "sys/capabilities", "sys/capabilities-self",
              "auth/token/create", "auth/token/lookup", "auth/token/renew",
              "auth/token/revoke", "auth/token/revoke-orphan", "auth/token/accessors",
              "secret/data/a", "secret/metadata/a", "secret/config", "kv1/x", "cubbyhole/x"):
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
        self.user_token = self.populate(self.servers["unsealed"], unsealed["root_token"])

    @staticmethod
    def populate(server, root):
        """What the engine rows act on: KV v2 at secret/ (secret/data/a at
        version 1), KV v1 at kv1/ (kv1/x), policy `reader` (read on
        secret/data/*), a token with it, and an entry in root's cubbyhole.
        Returns the token."""
        def ok(method, path, body=None):
            r = server.api(method, path, body, token=root)
            assert r.status in (200, 204), r
            return r
        ok("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
        ok("POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}})
        ok("POST", "secret/data/a", {"data": {"k": "v1"}})
        ok("POST", "kv1/x", {"k": "v"})
        ok("PUT", "sys/policy/reader",
           {"policy": 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n'})
        ok("POST", "cubbyhole/x", {"k": "v"})
        # AppRole at approle/: role `app` (role_id `app-role-id`, secret IDs of
        # at most 5 uses and 1h, from 127.0.0.0/8) with one secret ID.
        ok("POST", "sys/auth/approle", {"type": "approle"})
        ok("POST", "auth/approle/role/app",
           {"role_id": "app-role-id", "secret_id_num_uses": 5, "secret_id_ttl": "1h",
            "secret_id_bound_cidrs": "127.0.0.0/8", "token_policies": "reader"})
        ok("POST", "auth/approle/role/app/secret-id")
        return ok("POST", "auth/token/create", {"policies": ["reader"]}).json["auth"][
            "client_token"]

    def engine_state(self, server, root):
        """Everything the engine rows could change, read through the API."""
        def get(method, path, token=root):
            r = server.api(method, path, token=token)
            return r.status, r.json

        def without_request_id(answer):
            status, body = answer
            return status, {k: v for k, v in (body or {}).items() if k != "request_id"}

        policies = get("GET", "sys/policy")[1]["policies"]
        user = get("GET", "auth/token/lookup-self", token=self.user_token)[1]["data"]
        return {
            "mounts": without_request_id(get("GET", "sys/mounts")),
            "auth": without_request_id(get("GET", "sys/auth")),
            "policies": {p: get("GET", f"sys/policy/{p}")[1]["rules"] for p in policies},
            "accessors": sorted(get("LIST", "auth/token/accessors")[1]["data"]["keys"]),
            "token_roles": without_request_id(get("LIST", "auth/token/roles")),
            "user": {k: v for k, v in user.items() if k != "ttl"},  # ttl counts down
            "kv2": without_request_id(get("GET", "secret/metadata/a")),
            "kv2_list": get("LIST", "secret/metadata/")[1]["data"],
            "kv2_config": get("GET", "secret/config")[1]["data"],
            "kv1": get("GET", "kv1/x")[1]["data"],
            "kv1_list": get("LIST", "kv1/")[1]["data"],
            "cubbyhole": get("LIST", "cubbyhole/")[1]["data"],
            "approle": {p: without_request_id(get(m, f"auth/approle/{p}")) for m, p in
                        (("LIST", "role"), ("GET", "role/app"), ("GET", "role/app/role-id"),
                         ("LIST", "role/app/secret-id"))},
        }

    def snapshot(self, state):
        server = self.servers[state]
        status = server.seal_status()
        snap = {k: status[k] for k in ("initialized", "sealed", "t", "n", "progress", "nonce")}
        if not status["sealed"]:
            snap["term"] = server.key_term(self.tokens[state])
        if state == "unsealed":
            snap["engines"] = self.engine_state(server, self.tokens[state])
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
    r = server.raw_http(row.request(servers.tokens[row.state], servers.user_token))
    assert r.status == row.status, r
    errors = r.errors
    assert errors and all(isinstance(e, str) and e for e in errors), r
    assert any(row.fragment in e for e in errors), r
    assert r.headers["content-type"].startswith("application/json")
    # Nothing changed, and the server still answers.
    assert servers.snapshot(row.state) == before
    assert server.proc.poll() is None
    assert server.api("GET", "sys/health").status in (200, 501, 503)


HUGE = 100000


@pytest.mark.parametrize("method,path,payload,accepted", [
    # Vault sets no limit on a token's policies or metadata; only a root
    # caller may name policies it does not hold.
    ("POST", "auth/token/create", {"policies": [f"p{i}" for i in range(HUGE)]}, True),
    ("POST", "auth/token/create", {"meta": {f"k{i}": "v" for i in range(HUGE)}}, True),
    ("POST", "sys/capabilities-self", {"paths": [f"secret/p{i}" for i in range(HUGE)]}, True),
    ("PUT", "sys/policy/huge",
     {"policy": "".join(f'path "secret/p{i}" {{\n  capabilities = ["read"]\n}}\n'
                        for i in range(HUGE))}, True),
    # Refused outright: version lists are capped at 1000.
    ("POST", "secret/delete/a", {"versions": list(range(1, HUGE + 1))}, False),
    ("POST", "secret/destroy/a", {"versions": ",".join(str(i) for i in range(1, HUGE + 1))},
     False),
], ids=["token-policies", "token-meta", "capabilities-paths", "policy-rules",
        "kv-delete-versions", "kv-destroy-versions-string"])
def test_huge_lists_are_bounded(unsealed, method, path, payload, accepted):
    server, init = unsealed
    root = init["root_token"]
    Servers.populate(server, root)
    # The answer must come (no crash, no hang); how fast is for benchmarks,
    # not a timed assertion. The sanitizer build is many times slower, hence
    # the generous client timeout.
    r = server.api(method, path, payload, token=root, timeout=600)
    if accepted and r.status == 413:
        # What would be stored exceeds raft's max_entry_size (1 MiB, as in
        # Vault): refused with a message naming the limit, nothing stored.
        assert "max_entry_size" in r.errors[0], r
    elif accepted:
        assert r.status in (200, 204), r
    else:
        assert r.status == 400, r
        assert "at most 1000 version numbers" in r.errors[0]
        meta = server.api("GET", "secret/metadata/a", token=root).json["data"]
        assert meta["versions"]["1"]["deletion_time"] == ""
        assert meta["versions"]["1"]["destroyed"] is False
    assert server.proc.poll() is None
    assert server.api("GET", "secret/data/a", token=root).json["data"]["data"] == {"k": "v1"}
    if path == "auth/token/create" and r.status != 413:
        # The token works, and its lookup is answered in bounded time too.
        token = r.json["auth"]["client_token"]
        looked_up = server.api("GET", "auth/token/lookup-self", token=token, timeout=600)
        assert looked_up.status == 200, looked_up
