"""Point-in-time recovery (docs/snapshots.md, "Point-in-time recovery") on
real processes: a schedule with pitr_enabled archives every write beside
its snapshots; the 5 AM / 10 AM case (write A, snapshot, write B, delete A
by mistake, write C) restored to just before the delete on a fresh
cluster, by time and by raft index; an archive with a missing segment is
refused with the gap named and nothing changed; inspect shows the range;
bad input."""
import datetime
import os
import re
import shutil

import pytest

from harness import TresorServer, active_node, form_raft_cluster, wait_for, close_all
from snapshot_support import enable_kv1, read_secret, wait_unsealed_active

CONFIG = "sys/storage/raft/snapshot-auto/config"
STATUS = "sys/storage/raft/snapshot-auto/status"
INSPECT = "sys/storage/raft/snapshot-pitr/inspect"
RESTORE = "sys/storage/raft/snapshot-pitr/restore"
SEGMENT_RE = re.compile(r"^pitr-(\d{19})\.wal$")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


def status_of(node, root):
    r = node.api("GET", f"{STATUS}/pitr", token=root)
    assert r.status == 200, r
    return r.json["data"]


def segments_in(directory):
    return sorted(n for n in os.listdir(directory) if SEGMENT_RE.match(n))


def archived_past(node, root, moment):
    """Waits until the archive covers every write acknowledged before `moment`."""
    wait_for(lambda: status_of(node, root)["pitr_archived_until"] > moment, timeout=30,
             interval=0.1, what=f"the write archive to cover {moment}")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Cluster A's history: A, snapshot, B, (point), delete A, C."""
    directory = str(tmp_path_factory.mktemp("pitr"))
    nodes, keys, root = form_raft_cluster(1, shares=1, threshold=1)
    node = nodes[0]
    enable_kv1(node, root)
    assert node.api("PUT", "kv/a", {"v": "A"}, token=root).status == 204
    body = {"interval": "1h", "retain": 2, "storage_type": "local", "path_prefix": directory,
            "file_prefix": "pitr", "pitr_enabled": True, "pitr_segment_interval": "1s"}
    assert node.api("POST", f"{CONFIG}/pitr", body, token=root).status == 204
    # A new schedule takes its first snapshot at once.
    wait_for(lambda: status_of(node, root)["last_snapshot_end"] != "", timeout=30,
             what="the first snapshot")
    assert status_of(node, root)["last_snapshot_error"] == ""
    assert node.api("PUT", "kv/b", {"v": "B"}, token=root).status == 204
    point_time = now_rfc3339()
    point_index = node.api("GET", "sys/leader").json["raft_committed_index"]
    assert node.api("DELETE", "kv/a", token=root).status == 204  # the mistake
    assert node.api("PUT", "kv/c", {"v": "C"}, token=root).status == 204
    archived_past(node, root, now_rfc3339())
    yield {"node": node, "keys": keys, "root": root, "dir": directory,
           "point_time": point_time, "point_index": point_index}
    node.close()


def target(directory):
    return {"storage_type": "local", "path_prefix": directory, "file_prefix": "pitr"}


def schedule_pitr(node, root, directory):
    """A schedule "pitr" archiving to `directory`, once its first snapshot is in."""
    body = dict(target(directory), interval="1h", pitr_enabled=True, pitr_segment_interval="1s")
    assert node.api("POST", f"{CONFIG}/pitr", body, token=root).status == 204
    wait_for(lambda: status_of(node, root)["last_snapshot_end"] != "", timeout=30,
             what="the first snapshot")


def test_the_archive_status_and_inspect_show_what_is_covered(history):
    node, root = history["node"], history["root"]
    status = status_of(node, root)
    assert status["pitr_segments_stored"] >= 1 and status["pitr_last_error"] == "", status
    assert status["pitr_gaps"] == 0
    assert segments_in(history["dir"]), os.listdir(history["dir"])
    r = node.api("POST", INSPECT, target(history["dir"]), token=root)
    assert r.status == 200, r
    covered = r.json["data"]
    assert covered["snapshots"] == 1 and covered["segments"] >= 1, covered
    assert covered["archived_writes"] >= 3, covered  # B, the delete, C (and bookkeeping)
    assert covered["first_write_time"] <= history["point_time"] < covered["covered_until"]
    assert covered["gaps"] == []


def test_a_fresh_cluster_is_restored_to_just_before_the_mistake_by_time(history):
    with TresorServer(storage="raft") as fresh:
        body = dict(target(history["dir"]), to=history["point_time"], force=True)
        r = fresh.api("POST", RESTORE, body)
        assert r.status == 200, r
        assert r.json["data"]["replayed_writes"] >= 1, r.json
        # The archive is the old cluster's: its keys open the new one.
        assert fresh.seal_status()["sealed"] is True
        fresh.unseal(history["keys"])
        wait_unsealed_active(fresh)
        root = history["root"]
        assert read_secret(fresh, root, "kv/a") == "A"  # written before the snapshot
        assert read_secret(fresh, root, "kv/b") == "B"  # written after it: replayed
        assert fresh.api("GET", "kv/c", token=root).status == 404  # after the point


def test_the_cli_inspects_a_target_and_restores_to_a_point(history, tmp_path):
    node, root = history["node"], history["root"]
    r = node.cli("operator", "raft", "snapshot", "inspect", "-file-prefix=pitr",
                 history["dir"] + "/", token=root)
    assert r.returncode == 0, r.stderr
    assert "covered_until" in r.stdout and "No gaps" in r.stdout, r.stdout
    with TresorServer(storage="raft") as fresh:
        r = fresh.cli("operator", "raft", "snapshot", "restore", "-force", "-file-prefix=pitr",
                      f"-to={history['point_time']}", history["dir"])
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("Restored ") and "replayed" in r.stdout, r.stdout
        assert "unseal it with the keys" in r.stderr
        fresh.unseal(history["keys"])
        wait_unsealed_active(fresh)
        assert read_secret(fresh, root, "kv/a") == "A"
        assert fresh.api("GET", "kv/c", token=root).status == 404
        # A point that is not a time or an index is refused by the server.
        r = fresh.cli("operator", "raft", "snapshot", "restore", "-file-prefix=pitr",
                      "-to=last tuesday", history["dir"], token=root)
        assert r.returncode == 2 and "RFC 3339" in r.stderr, r.stderr


def test_a_missing_segment_is_refused_with_the_gap_named(history, tmp_path):
    node, root = history["node"], history["root"]
    # Three more segments, each after its own write.
    for i in range(3):
        assert node.api("PUT", f"kv/more{i}", {"v": str(i)}, token=root).status == 204
        before = len(segments_in(history["dir"]))
        wait_for(lambda: len(segments_in(history["dir"])) > before, timeout=30,
                 what="one more segment")
    archived_past(node, root, now_rfc3339())
    copy = str(tmp_path / "gap")
    shutil.copytree(history["dir"], copy)
    segments = segments_in(copy)
    assert len(segments) >= 3, segments
    missing = segments[-2]
    os.remove(os.path.join(copy, missing))
    r = node.api("POST", INSPECT, target(copy), token=root)
    assert r.status == 200, r
    assert len(r.json["data"]["gaps"]) == 1, r.json
    marker = node.api("PUT", "kv/untouched", {"v": "still here"}, token=root)
    assert marker.status == 204
    r = node.api("POST", RESTORE, dict(target(copy), to=now_rfc3339()), token=root)
    assert r.status == 400, r
    assert "gap" in r.body and "log index" in r.body and "nothing was changed" in r.body, r.body
    assert read_secret(node, root, "kv/untouched") == "still here"


def test_the_same_cluster_is_restored_by_raft_index(history, tmp_path):
    node, root = history["node"], history["root"]
    # A copy of the target: the restore breaks the live archive's history.
    copy = str(tmp_path / "copy")
    shutil.copytree(history["dir"], copy)
    body = dict(target(copy), to=str(history["point_index"]))
    r = node.api("POST", RESTORE, body, token=root)
    assert r.status == 200, r
    wait_unsealed_active(node)
    assert read_secret(node, root, "kv/a") == "A"
    assert read_secret(node, root, "kv/b") == "B"
    assert node.api("GET", "kv/c", token=root).status == 404
    # The restore breaks the log's history: the archive records the gap and
    # starts again from a snapshot taken at once, so later writes are
    # archived again.
    wait_for(lambda: status_of(node, root)["pitr_gaps"] >= 1, timeout=30,
             what="the gap to be recorded")
    assert "no writes archived after log index" in status_of(node, root)["pitr_last_gap"]
    assert node.api("PUT", "kv/after-restore", {"v": "1"}, token=root).status == 204
    archived_past(node, root, now_rfc3339())


def test_a_new_active_node_carries_the_archive_on(tmp_path):
    """The active node is killed; the new one archives from where the old
    one's last stored segment ends, so a restore to a point after the
    failover has the writes of both."""
    directory = str(tmp_path / "ha")
    nodes, keys, root = form_raft_cluster(3, shares=1, threshold=1)
    try:
        first = active_node(nodes)
        enable_kv1(first, root)
        schedule_pitr(first, root, directory)
        assert first.api("PUT", "kv/before", {"v": "1"}, token=root).status == 204
        archived_past(first, root, now_rfc3339())
        # Unarchived when the node dies: in the log of the others.
        assert first.api("PUT", "kv/unarchived", {"v": "2"}, token=root).status == 204
        first.kill()
        rest = [n for n in nodes if n is not first]
        second = wait_for(lambda: active_node(rest), timeout=30, what="a new active node")
        assert second.api("PUT", "kv/after", {"v": "3"}, token=root).status == 204
        point = now_rfc3339()
        archived_past(second, root, point)
        assert status_of(second, root)["pitr_gaps"] == 0
        with TresorServer(storage="raft") as fresh:
            r = fresh.api("POST", RESTORE, dict(target(directory), to=point, force=True))
            assert r.status == 200, r
            fresh.unseal(keys)
            wait_unsealed_active(fresh)
            for key in ("before", "unarchived", "after"):
                assert fresh.api("GET", f"kv/{key}", token=root).status == 200, key
    finally:
        close_all(nodes)


def test_a_restarted_log_is_a_gap_and_a_point_after_it_restores(tmp_path):
    """Disabling DR replication switches the replication log off; the
    archive switches it on again with a new history, records the gap,
    starts again from a snapshot taken at once, and a point after that
    restores (the old history's segments are not taken for a gap)."""
    directory = str(tmp_path / "restarted")
    nodes, keys, root = form_raft_cluster(1, shares=1, threshold=1)
    node = nodes[0]
    try:
        enable_kv1(node, root)
        schedule_pitr(node, root, directory)
        assert node.api("PUT", "kv/old-history", {"v": "1"}, token=root).status == 204
        archived_past(node, root, now_rfc3339())
        r = node.api("POST", "sys/replication/dr/primary/enable", {}, token=root)
        assert r.status in (200, 204), r
        r = node.api("POST", "sys/replication/dr/primary/disable", {}, token=root)
        assert r.status in (200, 204), r
        wait_for(lambda: status_of(node, root)["pitr_gaps"] >= 1, timeout=30,
                 what="the gap to be recorded")
        assert node.api("PUT", "kv/new-history", {"v": "2"}, token=root).status == 204
        point = now_rfc3339()
        archived_past(node, root, point)
        with TresorServer(storage="raft") as fresh:
            r = fresh.api("POST", RESTORE, dict(target(directory), to=point, force=True))
            assert r.status == 200, r
            fresh.unseal(keys)
            wait_unsealed_active(fresh)
            assert read_secret(fresh, root, "kv/old-history") == "1"
            assert read_secret(fresh, root, "kv/new-history") == "2"
    finally:
        node.close()


@pytest.mark.parametrize("body, message", [
    ({}, "storage_type is required"),
    ({"storage_type": "local", "path_prefix": "/nonexistent"}, "to is required"),
    ({"storage_type": "local", "path_prefix": "/nonexistent", "to": "yesterday"},
     "RFC 3339"),
    ({"storage_type": "local", "path_prefix": "/nonexistent", "to": "1", "bogus": 1},
     "unrecognized parameters"),
    ({"storage_type": "local", "path_prefix": "/nonexistent", "to": "2026-01-01T00:00:00Z"},
     "no snapshot"),
    ({"storage_type": "ftp", "path_prefix": "/x", "to": "1"}, "storage_type must be"),
])
def test_bad_restore_requests_are_refused_and_change_nothing(history, body, message):
    node, root = history["node"], history["root"]
    r = node.api("POST", RESTORE, body, token=root)
    assert r.status == 400, r
    assert message in r.body, r.body
    assert node.api("GET", "sys/health").status == 200


@pytest.mark.parametrize("field, value, message", [
    ("pitr_enabled", "maybe", "pitr_enabled"),
    ("pitr_segment_interval", 0, "pitr_segment_interval must be at least 1s"),
    ("pitr_segment_max_bytes", 1024, "pitr_segment_max_bytes must be at least"),
])
def test_bad_pitr_fields_are_refused(history, field, value, message):
    node, root = history["node"], history["root"]
    body = {"interval": 60, "storage_type": "local", "path_prefix": "/tmp/never", field: value}
    r = node.api("POST", f"{CONFIG}/bad", body, token=root)
    assert r.status == 400, r
    assert message in r.body, r.body
    assert node.api("GET", f"{CONFIG}/bad", token=root).status == 404
