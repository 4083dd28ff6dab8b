"""Snapshot save and restore through the HTTP API on one raft node: round
trips, a table of damaged archives refused with the state untouched, another
cluster's snapshot (refused, then forced), and a restore into an
uninitialised node."""
import gzip
import io
import tarfile

import pytest

from harness import TresorServer
from snapshot_support import (enable_kv1, members, put_secrets, read_secret, records, restore,
                              save, wait_unsealed_active)


@pytest.fixture
def node():
    """An initialised, unsealed, active raft node with kv/ (v1) holding k0..k9 = "before"."""
    s = TresorServer(storage="raft")
    s.start()
    init = s.init(1, 1)
    s.unseal(init["keys"])
    wait_unsealed_active(s)
    root = init["root_token"]
    enable_kv1(s, root)
    put_secrets(s, root, "kv", 10, "before")
    yield s, init["keys"], root
    s.close()


def test_save_gives_a_verified_archive_of_ciphertext_only(node):
    s, _, root = node
    put_secrets(s, root, "kv", 1, "a-very-recognisable-secret-value", prefix="plain")
    status, archive, headers = save(s, root)
    assert status == 200, archive
    assert headers["content-type"] == "application/gzip"
    assert [name for name, _ in members(archive)] == [
        "meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed"]
    assert int(headers["x-tresor-snapshot-index"]) > 0
    # Paths are plain (as in storage); no value is.
    state = dict(members(archive))["state.bin"]
    assert b"a-very-recognisable-secret-value" not in gzip.decompress(archive)
    assert b"a-very-recognisable-secret-value" not in state
    assert any(k.startswith("logical/") and k.endswith("/plain0") for k in records(archive))


def test_restore_brings_back_the_saved_state_and_its_tokens(node):
    s, _, root = node
    r = s.api("POST", "auth/token/create", {"policies": ["default"]}, token=root)
    old_token = r.json["auth"]["client_token"]
    status, archive, _ = save(s, root)
    assert status == 200

    put_secrets(s, root, "kv", 10, "after")
    put_secrets(s, root, "kv", 1, "new", prefix="extra")
    r = s.api("DELETE", "sys/mounts/kv", token=root)
    assert r.status == 204
    r = s.api("POST", "auth/token/revoke", {"token": old_token}, token=root)
    assert r.status == 204
    new_token = s.api("POST", "auth/token/create", {"policies": ["default"]},
                      token=root).json["auth"]["client_token"]

    status, body, _ = restore(s, root, archive)
    assert status == 204, body
    assert s.seal_status()["sealed"] is False
    # The mount table, the token store and the data are the snapshot's.
    assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10
    assert read_secret(s, root, "kv/extra0") is None
    assert s.api("GET", "auth/token/lookup-self", token=old_token).status == 200
    assert s.api("GET", "auth/token/lookup-self", token=new_token).status == 403


def test_restored_state_survives_a_restart(node):
    s, keys, root = node
    status, archive, _ = save(s, root)
    put_secrets(s, root, "kv", 10, "after")
    assert restore(s, root, archive)[0] == 204
    s.restart()
    s.unseal(keys)
    wait_unsealed_active(s)
    assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10


def _flip(archive, offset):
    damaged = bytearray(archive)
    damaged[offset] ^= 0x5A
    return bytes(damaged)


def _rebuild(parts):
    """A gzip'd tar of [(name, bytes)] built by hand (for the bad-member cases)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in parts:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_damaged_archives_are_refused_and_change_nothing(node):
    s, _, root = node
    status, archive, _ = save(s, root)
    assert status == 200
    put_secrets(s, root, "kv", 10, "after")  # the state a bad restore must not touch
    parts = members(archive)
    meta = dict(parts)["meta.json"]
    cases = {}
    for fraction in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9):
        cases[f"flip at {fraction:.0%}"] = _flip(archive, int(len(archive) * fraction))
    cases["flip in the gzip trailer"] = _flip(archive, len(archive) - 3)
    for cut in (1, 10, len(archive) // 3, len(archive) // 2, len(archive) - 1):
        cases[f"truncated to {cut} bytes"] = archive[:cut]
    cases["extra member"] = _rebuild(parts + [("notes.txt", b"hello")])
    cases["members out of order"] = _rebuild([parts[1], parts[0]] + parts[2:])
    cases["oversized meta.json"] = _rebuild([("meta.json", meta + b" " * 70000)] + parts[1:])
    cases["unknown version"] = _rebuild(
        [("meta.json", meta.replace(b'"version":1', b'"version":2'))] + parts[1:])
    cases["not an archive"] = b"hello, this is not a snapshot"
    for name, bad in cases.items():
        status, body, _ = restore(s, root, bad)
        assert status == 400, f"{name}: {status} {body}"
        assert "nothing was changed" in body, f"{name}: {body}"
        assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["after"] * 10, name
    assert "version" in restore(s, root, cases["unknown version"])[1]
    assert s.seal_status()["sealed"] is False


def test_bad_requests_get_clear_errors(node):
    s, _, root = node
    status, body, _ = restore(s, root, b"")
    assert status == 400 and "request body" in body
    r = s.api("GET", "sys/storage/raft/snapshot")  # no token
    assert r.status == 403
    r = s.api("DELETE", "sys/storage/raft/snapshot", token=root)
    assert r.status == 405


def test_another_clusters_snapshot_needs_force_then_seals_and_opens_with_its_keys(node):
    s, keys, root = node
    with TresorServer(storage="raft") as other:
        init = other.init(1, 1)
        other.unseal(init["keys"])
        wait_unsealed_active(other)
        other_root = init["root_token"]
        enable_kv1(other, other_root)
        put_secrets(other, other_root, "kv", 3, "from-the-other-cluster")
        status, foreign, _ = save(other, other_root)
        assert status == 200
        other_keys = init["keys"]

    status, body, _ = restore(s, root, foreign)
    assert status == 400, body
    assert "snapshot-force" in body
    assert read_secret(s, root, "kv/k0") == "before"

    status, body, _ = restore(s, root, foreign, force=True)
    assert status == 204, body
    assert s.seal_status()["sealed"] is True
    # This cluster's keys no longer open it; the other cluster's do.
    r = s.api("PUT", "sys/unseal", {"key": keys[0]})
    assert r.status == 400
    s.unseal(other_keys)
    wait_unsealed_active(s)
    assert read_secret(s, other_root, "kv/k0") == "from-the-other-cluster"
    assert s.api("GET", "auth/token/lookup-self", token=root).status == 403


def test_an_uninitialised_node_takes_a_forced_snapshot_without_a_token(node):
    s, keys, root = node
    status, archive, _ = save(s, root)
    with TresorServer(storage="raft") as fresh:
        assert fresh.seal_status()["initialized"] is False
        status, body, _ = restore(fresh, None, archive)  # without force
        assert status == 400 and "snapshot-force" in body
        assert fresh.seal_status()["initialized"] is False

        status, body, _ = restore(fresh, None, archive, force=True)
        assert status == 204, body
        seal = fresh.seal_status()
        assert seal["initialized"] is True and seal["sealed"] is True
        fresh.unseal(keys)
        wait_unsealed_active(fresh)
        assert [read_secret(fresh, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10
        # Once initialised, snapshot-force wants a token like any sudo path.
        assert restore(fresh, None, archive, force=True)[0] == 403
