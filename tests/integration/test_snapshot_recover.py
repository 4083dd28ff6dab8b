"""Single-path recovery (docs/snapshots.md, "Recover one secret"), as Vault
Enterprise 1.20's snapshot recovery: a snapshot loaded beside the live
state, a path read as it was, one secret (or a prefix) written back with
everything else untouched, and the refusals."""
import json

import pytest

from harness import TresorServer
from snapshot_support import (enable_kv1, read_secret, save, start_unsealed_raft,
                              wait_unsealed_active)

LOAD = "sys/storage/raft/snapshot-load"


@pytest.fixture(scope="module")
def loaded():
    s, _, root = start_unsealed_raft()
    enable_kv1(s, root)
    for path, value in (("a", "old-a"), ("dir/x", "old-x"), ("dir/y", "old-y")):
        assert s.api("PUT", f"kv/{path}", {"v": value}, token=root).status == 204
    status, archive, _ = save(s, root)
    assert status == 200
    # What happened after the snapshot: the mistakes and the new work.
    assert s.api("DELETE", "kv/a", token=root).status == 204
    assert s.api("PUT", "kv/dir/x", {"v": "new-x"}, token=root).status == 204
    assert s.api("DELETE", "kv/dir/y", token=root).status == 204
    assert s.api("PUT", "kv/b", {"v": "new-b"}, token=root).status == 204
    r = s.api("POST", LOAD, raw=archive, token=root)
    assert r.status == 200, r
    snapshot_id = r.json["data"]["snapshot_id"]
    assert r.json["data"]["status"] == "ready"
    yield s, root, snapshot_id, archive
    s.close()


def test_the_loaded_snapshot_is_listed_and_described(loaded):
    s, root, snapshot_id, _ = loaded
    r = s.api("LIST", LOAD, token=root)
    assert r.status == 200 and r.json["data"]["keys"] == [snapshot_id], r
    r = s.api("GET", f"{LOAD}/{snapshot_id}", token=root)
    assert r.status == 200, r
    assert r.json["data"]["expires_at"] > r.json["data"]["loaded_at"]


def test_a_path_reads_and_lists_as_it_was_without_changing_the_live_state(loaded):
    s, root, snapshot_id, _ = loaded
    r = s.api("GET", f"kv/a?read_snapshot_id={snapshot_id}", token=root)
    assert r.status == 200 and r.json["data"] == {"v": "old-a"}, r
    r = s.api("LIST", f"kv/dir?read_snapshot_id={snapshot_id}", token=root)
    assert r.status == 200 and r.json["data"]["keys"] == ["x", "y"], r
    assert s.api("GET", "kv/a", token=root).status == 404  # still deleted live
    r = s.api("GET", f"kv/b?read_snapshot_id={snapshot_id}", token=root)
    assert r.status == 404, r  # written after the snapshot


def test_one_secret_is_recovered_and_nothing_else_changes(loaded):
    s, root, snapshot_id, _ = loaded
    r = s.api("PUT", f"kv/a?recover_snapshot_id={snapshot_id}", token=root)
    assert r.status == 204, r
    assert read_secret(s, root, "kv/a") == "old-a"
    assert read_secret(s, root, "kv/b") == "new-b"
    assert read_secret(s, root, "kv/dir/x") == "new-x"
    assert s.api("GET", "kv/dir/y", token=root).status == 404


def test_recover_as_vault_1_21_sends_it_to_another_path(loaded):
    s, root, snapshot_id, _ = loaded
    r = s.api("RECOVER", "kv/copy-of-x", token=root,
              headers={"X-Vault-Recover-Snapshot-Id": snapshot_id,
                       "X-Vault-Recover-Source-Path": "kv/dir/x"})
    assert r.status == 204, r
    assert read_secret(s, root, "kv/copy-of-x") == "old-x"
    assert read_secret(s, root, "kv/dir/x") == "new-x"


def test_a_prefix_is_recovered_whole(loaded):
    s, root, snapshot_id, _ = loaded
    r = s.api("PUT", f"kv/dir/?recover_snapshot_id={snapshot_id}", token=root)
    assert r.status == 200 and r.json["data"]["recovered"] == 2, r
    assert read_secret(s, root, "kv/dir/x") == "old-x"
    assert read_secret(s, root, "kv/dir/y") == "old-y"
    assert read_secret(s, root, "kv/b") == "new-b"


def test_recovery_is_checked_against_policy(loaded):
    s, root, snapshot_id, _ = loaded
    policy = 'path "kv/a" { capabilities = ["read"] }'
    assert s.api("PUT", "sys/policies/acl/reader", {"policy": policy}, token=root).status == 204
    r = s.api("POST", "auth/token/create", {"policies": ["reader"]}, token=root)
    reader = r.json["auth"]["client_token"]
    assert s.api("GET", f"kv/a?read_snapshot_id={snapshot_id}", token=reader).status == 200
    assert s.api("PUT", f"kv/a?recover_snapshot_id={snapshot_id}", token=reader).status == 403
    assert s.api("GET", f"kv/dir/x?read_snapshot_id={snapshot_id}", token=reader).status == 403
    assert s.api("POST", LOAD, raw=b"x", token=reader).status == 403


@pytest.mark.parametrize("method, path, headers, body, status, message", [
    ("GET", "kv/a?read_snapshot_id=nope", None, None, 404, "no snapshot nope is loaded"),
    ("GET", "kv/a?read_snapshot_id={id}&recover_snapshot_id={id}", None, None, 400,
     "exclude each other"),
    ("PUT", "kv/a?read_snapshot_id={id}", None, None, 400, "is for reads and lists"),
    ("PUT", "kv/a?recover_snapshot_id={id}", None, {"v": "x"}, 400, "send no body"),
    ("PUT", "kv/zzz?recover_snapshot_id={id}", None, None, 404, "holds no secret"),
    ("PUT", "kv/a?recover_snapshot_id={id}", {"X-Vault-Recover-Source-Path": "secret/a"}, None,
     400, "is not in the mount"),
    ("RECOVER", "kv/a", None, None, 400, "X-Vault-Recover-Snapshot-Id"),
    ("GET", "secret/data/a?read_snapshot_id={id}", None, None, 400, "KV version 1"),
])
def test_bad_recovery_requests_are_refused(loaded, method, path, headers, body, status,
                                           message):
    s, root, snapshot_id, _ = loaded
    if s.api("GET", "sys/mounts/secret", token=root).status != 200:
        s.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
              token=root)
    r = s.api(method, path.format(id=snapshot_id), body, token=root, headers=headers)
    assert r.status == status, r
    assert message in r.body, r.body
    assert read_secret(s, root, "kv/b") == "new-b"


def test_a_second_load_and_a_foreign_snapshot_are_refused_and_unload_works(loaded):
    s, root, snapshot_id, archive = loaded
    r = s.api("POST", LOAD, raw=archive, token=root)
    assert r.status == 400 and "loaded already" in r.body, r
    assert s.api("DELETE", f"{LOAD}/{snapshot_id}", token=root).status == 204
    assert s.api("GET", f"kv/a?read_snapshot_id={snapshot_id}", token=root).status == 404
    assert s.api("LIST", LOAD, token=root).status == 404
    with TresorServer(storage="raft") as other:
        init = other.init(1, 1)
        other.unseal(init["keys"])
        wait_unsealed_active(other)
        status, foreign, _ = save(other, init["root_token"])
        assert status == 200
    r = s.api("POST", LOAD, raw=foreign, token=root)
    assert r.status == 400 and "nothing was loaded" in r.body, r
    r = s.api("POST", LOAD, raw=archive[:100], token=root)
    assert r.status == 400 and "nothing was loaded" in r.body, r
    assert s.api("LIST", LOAD, token=root).status == 404


def test_the_cli_loads_recovers_and_unloads(loaded, tmp_path):
    s, root, _, archive = loaded
    path = tmp_path / "raft.snap"
    path.write_bytes(archive)
    r = s.cli("operator", "raft", "snapshot", "load", "-format=json", str(path), token=root)
    assert r.returncode == 0, r.stderr
    snapshot_id = json.loads(r.stdout)["snapshot_id"]
    assert s.api("PUT", "kv/dir/x", {"v": "changed again"}, token=root).status == 204
    r = s.cli("recover", f"-snapshot-id={snapshot_id}", "kv/dir/x", token=root)
    assert r.returncode == 0 and "Data recovered to: kv/dir/x" in r.stdout, r.stderr
    assert read_secret(s, root, "kv/dir/x") == "old-x"
    r = s.cli("recover", f"-snapshot-id={snapshot_id}", "-from=kv/a", "kv/from-a", token=root)
    assert r.returncode == 0, r.stderr
    assert read_secret(s, root, "kv/from-a") == "old-a"
    r = s.cli("recover", "kv/dir/x", token=root)
    assert r.returncode == 2 and "-snapshot-id is required" in r.stderr, r.stderr
    r = s.cli("operator", "raft", "snapshot", "unload", snapshot_id, token=root)
    assert r.returncode == 0, r.stderr
    assert s.api("LIST", LOAD, token=root).status == 404
