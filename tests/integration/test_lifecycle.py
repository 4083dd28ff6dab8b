"""Init, unseal, rotate, seal and restart against the real binary.

Covers docs/seal.md (init commit point, unseal progress, shares as hex or
base64, wrong shares, concurrent unseal) and the SIGTERM drain promised by
docs/http.md ("Shutdown").
"""
import base64
import json
import os
import re
import signal
import stat
import threading

import pytest

from harness import TresorServer, read_http_response, wait_for


def test_init_unseal_rotate_survives_restart(server):
    init = server.init(5, 3)
    assert len(init["keys"]) == 5 and len(init["keys_base64"]) == 5
    assert init["root_token"]

    status = server.seal_status()
    assert status["initialized"] is True and status["sealed"] is True
    assert (status["t"], status["n"], status["progress"]) == (3, 5, 0)

    # Mixed encodings: hex, base64, hex.
    first = server.unseal([init["keys"][0]])
    assert first["sealed"] is True and first["progress"] == 1 and first["nonce"]
    second = server.unseal([init["keys_base64"][3]])
    assert second["sealed"] is True and second["progress"] == 2
    assert second["nonce"] == first["nonce"]
    third = server.unseal([init["keys"][4]])
    assert third["sealed"] is False and third["progress"] == 0

    root = init["root_token"]
    assert server.key_term(root) == 1
    r = server.api("PUT", "sys/rotate", token=root)
    assert r.status in (200, 204), r
    assert server.key_term(root) == 2

    server.restart()
    status = server.seal_status()
    assert status["initialized"] is True and status["sealed"] is True
    assert (status["t"], status["n"], status["progress"]) == (3, 5, 0)
    server.unseal(init["keys_base64"][:3])
    assert server.key_term(root) == 2


def test_shares_of_another_server_are_refused_and_progress_reset(server):
    init = server.init(3, 2)
    with TresorServer() as other:
        foreign = other.init(3, 2)
    server.unseal([foreign["keys"][0]])
    assert server.seal_status()["progress"] == 1
    r = server.api("PUT", "sys/unseal", {"key": foreign["keys"][1]})
    assert r.status == 400, r
    assert "do not combine" in r.errors[0]
    status = server.seal_status()
    assert status["sealed"] is True and status["progress"] == 0
    # The right shares still work afterwards.
    assert server.unseal(init["keys"][:2])["sealed"] is False


def test_share_given_twice_is_counted_once(server):
    init = server.init(3, 2)
    first = server.unseal([init["keys"][1]])
    assert first["progress"] == 1
    # The same share again, as hex and as base64: still one share.
    again = server.unseal([init["keys"][1], init["keys_base64"][1]])
    assert again["sealed"] is True and again["progress"] == 1
    assert again["nonce"] == first["nonce"]
    assert server.unseal([init["keys"][2]])["sealed"] is False


def test_concurrent_unseal_counts_each_share_once(server):
    init = server.init(5, 3)
    copies = 4
    keys = [k for k in init["keys"][:3] for _ in range(copies)]
    start = threading.Barrier(len(keys))
    results = [None] * len(keys)

    def submit(i):
        start.wait()
        results[i] = server.api("PUT", "sys/unseal", {"key": keys[i]})

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A share counted twice would reach the threshold with duplicates and
    # fail to combine (400); every submission must have been accepted.
    assert all(r.status == 200 for r in results), results
    assert sum(1 for r in results if r.json["sealed"] is False) >= 1
    assert server.seal_status()["sealed"] is False
    assert len(re.findall(r"\bunsealed\s*$", server.logs(), re.M)) == 1, server.logs()
    assert server.api("GET", "sys/health").status == 200
    assert server.key_term(init["root_token"]) == 1


def test_seal_needs_root_token_then_authenticated_paths_answer_503(unsealed):
    server, init = unsealed
    root = init["root_token"]
    r = server.api("PUT", "sys/seal")
    assert r.status == 403, r
    assert server.seal_status()["sealed"] is False
    r = server.api("PUT", "sys/seal", token="hvs.not-a-real-token")
    assert r.status == 403, r
    assert server.seal_status()["sealed"] is False

    r = server.api("PUT", "sys/seal", token=root)
    assert r.status in (200, 204), r
    assert server.seal_status()["sealed"] is True
    for method, path in (("GET", "sys/key-status"), ("PUT", "sys/rotate"),
                         ("PUT", "sys/seal"), ("GET", "secret/data/x")):
        r = server.api(method, path, token=root)
        assert r.status == 503, (path, r)
        assert "sealed" in r.errors[0]
    assert server.api("GET", "sys/health").status == 503


def test_reinit_is_refused_sealed_and_unsealed(server):
    init = server.init(1, 1)
    for _ in range(2):
        r = server.api("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        assert r.status == 400, r
        assert "already initialized" in r.errors[0]
        server.unseal(init["keys"])
    # The original keys and token still work: nothing was overwritten.
    server.restart()
    server.unseal(init["keys"])
    assert server.key_term(init["root_token"]) == 1


def secret_needles(init):
    """Every byte string that would betray a share or the root token."""
    needles = [init["root_token"].encode()]
    for hex_key, b64_key in zip(init["keys"], init["keys_base64"]):
        raw = bytes.fromhex(hex_key)
        assert base64.b64decode(b64_key) == raw
        needles += [hex_key.encode(), hex_key.upper().encode(), b64_key.encode(), raw,
                    raw[:32]]  # the share's y values without its x coordinate
    return needles


def test_data_directory_never_holds_token_or_shares(server):
    init = server.init(5, 3)
    server.unseal(init["keys"][:3])
    server.api("PUT", "sys/rotate", token=init["root_token"])
    server.restart()
    server.unseal(init["keys_base64"][2:5])
    server.stop()

    files = []
    for root, _, names in os.walk(server.data_dir):
        files += [os.path.join(root, n) for n in names]
    assert len(files) >= 3, files  # seal config, root key, keyring at least
    for path in files:
        with open(path, "rb") as f:
            content = f.read()
        for needle in secret_needles(init):
            assert needle not in content, f"{path} holds a secret"
    server.start()


def unseal_request_head(length):
    return (f"PUT /v1/sys/unseal HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


@pytest.fixture
def file_server():
    s = TresorServer(storage="file")
    s.start()
    yield s
    s.stop()


def test_sigterm_drops_requests_still_being_read_and_answers_those_being_handled(file_server):
    """docs/http.md, Shutdown: connections still reading a request are closed;
    requests being handled finish and get their answer; then the process exits 0.

    A request is held "being handled" deterministically by turning the seal
    config file into a FIFO: the handler blocks in open() until the test opens
    the FIFO's other end, which tells the test the handler is running (file
    storage: one file per key)."""
    server = file_server
    init = server.init(3, 2)
    server.unseal([init["keys"][0]])

    seal_config = os.path.join(server.data_dir, "data", "core", "_seal-config")
    with open(seal_config, "rb") as f:
        seal_config_bytes = f.read()
    saved = seal_config + ".saved"
    os.rename(seal_config, saved)
    os.mkfifo(seal_config)

    # 1. A request whose body is still being read.
    body = ('{"key": "%s"}' % init["keys"][1]).encode()
    partial = server.connect()
    partial.sendall(unseal_request_head(len(body)) + body[:10])

    # 2. A request read in full whose handler is blocked on the FIFO.
    handled = server.connect()
    handled.sendall(b"GET /v1/sys/seal-status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    fifo = os.open(seal_config, os.O_WRONLY)  # returns once the handler opened it

    server.proc.send_signal(signal.SIGTERM)
    # The partial request is dropped without an answer.
    partial.settimeout(30)
    try:
        leftover = partial.recv(65536)
    except ConnectionResetError:
        leftover = b""
    assert leftover == b"", leftover
    partial.close()

    os.write(fifo, seal_config_bytes)
    os.close(fifo)
    status, headers, response_body = read_http_response(handled)
    handled.close()
    assert status == 200, response_body
    assert headers.get("connection", "").lower() == "close"
    answered = json.loads(response_body)
    # The dropped partial unseal was not applied: still one share in.
    assert answered["sealed"] is True and answered["progress"] == 1

    assert server.proc.wait(timeout=30) == 0, server.logs()
    server.stop()
    assert stat.S_ISFIFO(os.stat(seal_config).st_mode)
    os.rename(saved, seal_config)

    server.start()
    status = server.seal_status()
    assert status["initialized"] is True and status["sealed"] is True
    assert status["progress"] == 0  # progress lives in memory only
    server.unseal(init["keys"][1:3])
    assert server.key_term(init["root_token"]) == 1


def test_init_is_durable_when_killed_right_after(server):
    init = server.init(3, 2)
    assert server.kill() == -signal.SIGKILL
    server.start()
    status = server.seal_status()
    assert status["initialized"] is True and (status["t"], status["n"]) == (2, 3)
    assert server.unseal(init["keys"][:2])["sealed"] is False
    assert server.key_term(init["root_token"]) == 1
