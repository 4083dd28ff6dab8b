"""Automated snapshots to S3 (s3rver on loopback, started by the test):
verified snapshots uploaded by multipart upload with retention, the
secret key never read back, an unreachable endpoint reported in status
with the failure count and snapshots resuming when it returns."""
import pytest

import datetime

from harness import TresorServer, active_node, form_raft_cluster, wait_for, close_all
from s3rver_support import ACCESS, SECRET, S3rver
from snapshot_support import count_between_snapshots, read_secret, wait_unsealed_active

CONFIG = "sys/storage/raft/snapshot-auto/config"
STATUS = "sys/storage/raft/snapshot-auto/status"


@pytest.fixture(scope="module")
def setup():
    s3 = S3rver()
    nodes, keys, root = form_raft_cluster(1, shares=1, threshold=1)
    node = nodes[0]
    node.unseal_keys = keys  # a restored new cluster unseals with them
    assert node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
    for i in range(50):
        assert node.api("PUT", f"kv/k{i}", {"v": "x" * 1000}, token=root).status == 204
    yield node, root, s3
    node.close()
    s3.close()


def status(node, root, name):
    r = node.api("GET", f"{STATUS}/{name}", token=root)
    assert r.status == 200, r
    return r.json["data"]


def test_uploads_verified_snapshots_and_keeps_retain(setup):
    node, root, s3 = setup
    body = s3.config(interval=1, retain=2, path_prefix="tresor/prod", file_prefix="auto")
    assert node.api("POST", f"{CONFIG}/s3", body, token=root).status == 204
    r = node.api("GET", f"{CONFIG}/s3", token=root)
    assert r.status == 200 and "aws_secret_access_key" not in r.json["data"], r
    assert r.json["data"]["aws_access_key_id"] == "S3RVER"
    seen = set()
    def several():
        quiet = count_between_snapshots(lambda: status(node, root, "s3"),
                                        lambda: s3.objects("tresor/prod/"))
        assert quiet is None or quiet <= 2, quiet
        seen.update(s3.objects("tresor/prod/"))
        return len(seen) >= 4
    wait_for(several, timeout=60, interval=0.1, what="four uploads")
    wait_for(lambda: len(s3.objects("tresor/prod/")) == 2, timeout=10)
    st = status(node, root, "s3")
    assert st["last_snapshot_error"] == "" and st["consecutive_failures"] == 0, st
    assert st["last_snapshot_url"].startswith("s3://backups/tresor/prod/auto-"), st
    assert st["last_verified_index"] > 0
    assert node.api("DELETE", f"{CONFIG}/s3", token=root).status == 204


def test_the_write_archive_in_s3_restores_a_new_cluster_to_a_point(setup):
    node, root, s3 = setup
    body = s3.config(interval=3600, retain=1, path_prefix="pitr", file_prefix="p",
                     pitr_enabled=True, pitr_segment_interval=1)
    assert node.api("POST", f"{CONFIG}/pitr", body, token=root).status == 204
    wait_for(lambda: status(node, root, "pitr")["last_snapshot_end"] != "", timeout=30,
             what="the first snapshot")
    assert node.api("PUT", "kv/pitr", {"v": "kept"}, token=root).status == 204
    point = datetime.datetime.now(datetime.timezone.utc).isoformat()
    assert node.api("DELETE", "kv/pitr", token=root).status == 204
    after = datetime.datetime.now(datetime.timezone.utc).isoformat()
    wait_for(lambda: status(node, root, "pitr")["pitr_archived_until"] > after, timeout=30,
             interval=0.1, what="the archive to cover the delete")
    assert any(k.endswith(".wal") for k in s3.objects("pitr/")), s3.objects("pitr/")
    with TresorServer(storage="raft") as fresh:
        r = fresh.cli("operator", "raft", "snapshot", "restore", "-force", "-file-prefix=p",
                      f"-to={point}", f"-s3-endpoint={s3.endpoint}", "-s3-disable-tls",
                      "-s3-force-path-style", f"s3://{s3.bucket}/pitr",
                      env={"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET})
        assert r.returncode == 0, r.stderr
        assert "replayed" in r.stdout, r.stdout
        assert fresh.seal_status()["sealed"] is True
        fresh.unseal(node.unseal_keys)
        wait_unsealed_active(fresh)
        assert read_secret(fresh, root, "kv/pitr") == "kept"
    assert node.api("DELETE", f"{CONFIG}/pitr", token=root).status == 204


def test_an_unreachable_endpoint_is_reported_and_snapshots_resume(setup):
    node, root, s3 = setup
    body = s3.config(interval=1, retain=5, path_prefix="outage", file_prefix="auto")
    assert node.api("POST", f"{CONFIG}/outage", body, token=root).status == 204
    wait_for(lambda: status(node, root, "outage")["last_snapshot_end"] != "", timeout=30)
    s3.stop()
    wait_for(lambda: status(node, root, "outage")["consecutive_failures"] >= 2, timeout=60,
             what="failures while S3 is down")
    st = status(node, root, "outage")
    assert "cannot reach" in st["last_snapshot_error"], st
    before = len(s3.objects("outage/"))
    s3.start()
    wait_for(lambda: status(node, root, "outage")["consecutive_failures"] == 0, timeout=60,
             what="snapshots to resume")
    assert len(s3.objects("outage/")) > before
    assert node.api("DELETE", f"{CONFIG}/outage", token=root).status == 204


def test_wrong_credentials_are_reported(setup):
    # An unknown access key (s3rver knows only its own).
    node, root, s3 = setup
    body = s3.config(interval=1, path_prefix="denied", aws_access_key_id="AKIDWRONG")
    assert node.api("POST", f"{CONFIG}/denied", body, token=root).status == 204
    wait_for(lambda: status(node, root, "denied")["consecutive_failures"] >= 1, timeout=30)
    assert "403 InvalidAccessKeyId" in status(node, root, "denied")["last_snapshot_error"]
    assert s3.objects("denied/") == []
    assert node.api("DELETE", f"{CONFIG}/denied", token=root).status == 204


def test_the_active_killed_mid_upload_leaves_no_partial_object(tmp_path):
    """A 3-node cluster whose active node is killed while a snapshot is
    being taken and uploaded: nothing appears under that snapshot's name,
    and the new active node takes the abandoned snapshot again at once."""
    s3 = S3rver()
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    try:
        first = active_node(nodes)
        assert first.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        for i in range(40):
            r = first.api("PUT", f"kv/big{i}", {"v": "x" * 500000}, token=root)
            assert r.status == 204, r
        body = s3.config(interval=3600, retain=5, path_prefix="killed")
        assert first.api("POST", f"{CONFIG}/killed", body, token=root).status == 204
        # The first snapshot starts at once (never taken before): catch it
        # in progress and kill the node taking it.
        in_progress = {}
        def under_way():
            s = status(first, root, "killed")
            if s["snapshot_start"]:
                in_progress.update(s)
                return True
            assert s["last_snapshot_end"] == "", "finished before it could be caught"
            return False
        wait_for(under_way, timeout=30, interval=0.01, what="the snapshot in progress")
        first.kill()
        abandoned = in_progress["snapshot_url"].split("/", 3)[3]
        wait_for(lambda: active_node(nodes) not in (None, first), timeout=60,
                 what="a new active node")
        successor = active_node(nodes)
        wait_for(lambda: status(successor, root, "killed")["last_verified_index"] > 0,
                 timeout=60, what="the new active node to take the snapshot again")
        st = status(successor, root, "killed")
        assert st["last_snapshot_error"] == "", st
        # One object: the new one. The interrupted upload never completed,
        # so nothing is under its name, and no interval was skipped: the
        # next falls due an interval after the retaken one.
        objects = s3.objects("killed/")
        assert abandoned not in objects and len(objects) == 1, (abandoned, objects)
        assert st["last_snapshot_url"] == "s3://backups/" + objects[0]
        first.start()
        first.unseal(keys[:2])
    finally:
        close_all(nodes)
        s3.close()
