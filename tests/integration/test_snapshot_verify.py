"""`tresor operator raft snapshot verify`, the DR drill, on archives saved from
a live raft server: a good archive verifies (exit 0) with counts matching
what the test wrote, in the table and in -format=json; the wrong key exits 3,
too few keys 3, a damaged file 1, usage errors 2. The drill runs without any
server: the source server is stopped before the last checks."""
import json
import os
import subprocess

from harness import BINARY, TresorServer
from snapshot_support import enable_kv1, put_secrets, records, save, wait_unsealed_active


def verify(archive_path, *args):
    return subprocess.run([BINARY, "operator", "raft", "snapshot", "verify", archive_path, *args],
                          capture_output=True, text=True, timeout=120)


def saved_archive(tmp_path, shares=1, threshold=1, secrets=12):
    s = TresorServer(storage="raft")
    s.start()
    try:
        init = s.init(shares, threshold)
        s.unseal(init["keys"][:threshold])
        wait_unsealed_active(s)
        root = init["root_token"]
        enable_kv1(s, root)
        put_secrets(s, root, "kv", secrets, "s3cret-value-xyz")
        r = s.api("PUT", "sys/policy/reader", {"policy": 'path "kv/*" { capabilities = ["read"] }'},
                  token=root)
        assert r.status == 204, r
        r = s.api("POST", "auth/token/create", {"policies": ["reader"]}, token=root)
        assert r.status == 200, r
        status, archive, _ = save(s, root)
        assert status == 200, archive
    finally:
        s.close()
    path = tmp_path / "drill.snap"
    path.write_bytes(archive)
    return str(path), archive, init


def test_a_good_archive_verifies_with_matching_counts(tmp_path):
    path, archive, init = saved_archive(tmp_path)
    entries = records(archive)
    r = verify(path, f"-unseal-key={init['keys'][0]}", "-format=json")
    assert r.returncode == 0, r
    report = json.loads(r.stdout)
    assert report["verified"] is True
    assert report["entries"] == len(entries)
    assert report["decrypted"] + report["physical_only"] == len(entries)
    assert report["physical_only"] == 3
    assert report["mounts"]["secrets"]["kv"] == 1
    assert report["mounts"]["auth"]["token"] == 1
    assert report["tokens"] == 2
    assert report["policies"] == 2
    assert report["meta"]["index"] > 0
    assert report["meta"]["cluster_id"]
    assert sum(1 for k in entries if k.startswith("logical/")) >= 12

    # The table, with base64 keys from a key file.
    key_file = tmp_path / "keys.txt"
    key_file.write_text("# DR keys\n" + init["keys_base64"][0] + "\n")
    r = verify(path, f"-key-file={key_file}")
    assert r.returncode == 0, r
    assert "verified" in r.stdout
    assert f"Entries          {len(entries)}" in r.stdout
    assert report["meta"]["id"] in r.stdout
    # A secret value never shows up.
    assert "s3cret-value-xyz" not in r.stdout + r.stderr


def test_wrong_or_too_few_keys_exit_3_and_damage_exits_1(tmp_path):
    path, archive, init = saved_archive(tmp_path, shares=3, threshold=2, secrets=3)
    assert verify(path, *[f"-unseal-key={k}" for k in init["keys"][1:]]).returncode == 0

    too_few = verify(path, f"-unseal-key={init['keys'][0]}")
    assert too_few.returncode == 3, too_few
    assert "threshold is 2" in too_few.stderr

    other = TresorServer(storage="raft")
    other.start()
    try:
        other_keys = other.init(3, 2)["keys"]
    finally:
        other.close()
    wrong = verify(path, *[f"-unseal-key={k}" for k in other_keys[:2]], "-format=json")
    assert wrong.returncode == 3, wrong
    assert json.loads(wrong.stdout)["verified"] is False
    assert init["keys"][0] not in wrong.stdout + wrong.stderr

    damaged = bytearray(archive)
    damaged[len(damaged) // 2] ^= 0x20
    bad_path = tmp_path / "damaged.snap"
    bad_path.write_bytes(bytes(damaged))
    r = verify(str(bad_path), *[f"-unseal-key={k}" for k in init["keys"][:2]])
    assert r.returncode == 1, r
    assert "damaged" in r.stderr

    truncated = tmp_path / "truncated.snap"
    truncated.write_bytes(archive[:len(archive) // 3])
    assert verify(str(truncated), *[f"-unseal-key={k}" for k in init["keys"][:2]]).returncode == 1
    assert verify(str(tmp_path / "none.snap"), f"-unseal-key={init['keys'][0]}").returncode == 1


def test_usage_errors_exit_2(tmp_path):
    assert verify(str(tmp_path / "x.snap")).returncode == 2  # no keys
    r = subprocess.run([BINARY, "operator", "raft", "snapshot", "verify"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "Usage" in r.stderr
    assert verify(str(tmp_path / "x.snap"), "-unseal-key=zz", "-format=yaml").returncode == 2
    assert not os.listdir(tmp_path)  # nothing written
