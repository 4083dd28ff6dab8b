"""Automated snapshots (sys/storage/raft/snapshot-auto/*) on real
processes, to a local directory: the config API, verified snapshots on a
1-2 s schedule, retention keeping exactly `retain`, a failover on a 3-node
cluster (the new active carries the schedule on), and bad input."""
import os
import re
import subprocess
import time

import pytest

from harness import BINARY, active_node, form_raft_cluster, wait_for, close_all
from snapshot_support import count_between_snapshots

CONFIG = "sys/storage/raft/snapshot-auto/config"
STATUS = "sys/storage/raft/snapshot-auto/status"
NAME_RE = re.compile(r"^nightly-(\d{19})\.snap$")
PARTIAL_RE = re.compile(r"^\.partial-(nightly-\d{19}\.snap)(?:\.tmp-[0-9A-Za-z]{12})?$")


def snapshots_in(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(n for n in os.listdir(directory) if NAME_RE.match(n))


def status_of(node, root, name):
    r = node.api("GET", f"{STATUS}/{name}", token=root)
    assert r.status == 200, r
    return r.json["data"]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    nodes, keys, root = form_raft_cluster(1, shares=1, threshold=1)
    node = nodes[0]
    assert node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
    assert node.api("PUT", "kv/a", {"v": "1"}, token=root).status == 204
    yield node, root, str(tmp_path_factory.mktemp("auto"))
    node.close()


def test_config_api_round_trip(single):
    node, root, directory = single
    body = {"interval": "1h", "retain": 3, "storage_type": "local",
            "path_prefix": directory + "-hourly", "file_prefix": "hourly"}
    assert node.api("POST", f"{CONFIG}/hourly", body, token=root).status == 204
    r = node.api("GET", f"{CONFIG}/hourly", token=root)
    assert r.status == 200, r
    assert r.json["data"]["interval"] == 3600  # read back as seconds, as Vault
    assert r.json["data"]["retain"] == 3 and r.json["data"]["file_prefix"] == "hourly"
    r = node.api("LIST", CONFIG, token=root)
    assert r.status == 200 and r.json["data"]["keys"] == ["hourly"], r
    assert node.api("DELETE", f"{CONFIG}/hourly", token=root).status == 204
    assert node.api("GET", f"{CONFIG}/hourly", token=root).status == 404
    assert node.api("LIST", CONFIG, token=root).status == 404


def test_verified_snapshots_on_a_schedule_with_retention(single):
    node, root, directory = single
    body = {"interval": 1, "retain": 2, "storage_type": "local", "path_prefix": directory,
            "file_prefix": "nightly"}
    assert node.api("POST", f"{CONFIG}/nightly", body, token=root).status == 204
    wait_for(lambda: status_of(node, root, "nightly")["last_snapshot_end"] != "", timeout=30,
             what="a first snapshot")
    first = status_of(node, root, "nightly")
    assert first["last_snapshot_error"] == "" and first["consecutive_failures"] == 0, first
    assert first["last_verified_index"] > 0
    assert first["last_snapshot_url"].startswith(directory + "/nightly-")
    # More snapshots come; never more than `retain` are kept.
    seen = set()
    def three_more():
        quiet = count_between_snapshots(lambda: status_of(node, root, "nightly"),
                                        lambda: snapshots_in(directory))
        assert quiet is None or quiet <= 2, quiet
        seen.update(snapshots_in(directory))
        return len(seen) >= 4
    wait_for(three_more, timeout=60, interval=0.1, what="four snapshots in all")
    wait_for(lambda: len(snapshots_in(directory)) == 2, timeout=10)
    # Each one kept is a whole archive that reads back. (The schedule goes
    # on meanwhile: one pruned by retention before it is read is gone.)
    inspected = 0
    for name in snapshots_in(directory):
        path = os.path.join(directory, name)
        out = subprocess.run([BINARY, "operator", "raft", "snapshot", "inspect", path],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0 and not os.path.exists(path):
            continue
        assert out.returncode == 0, out.stderr
        inspected += 1
    assert inspected >= 1
    # No temporary file left beside them: at most the one being written
    # now, newer than every snapshot kept. It is ".partial-<name>", or,
    # while the archive is still being written and read back before its
    # rename to that, ".partial-<name>.tmp-<random>" (snapshot/archive_file.cc).
    kept = snapshots_in(directory)
    others = [n for n in os.listdir(directory) if not NAME_RE.match(n)]
    in_progress = [PARTIAL_RE.match(n) for n in others]
    assert all(m and (not kept or m.group(1) > kept[-1]) for m in in_progress), others
    assert len(others) <= 1, others
    # The CLI's table: the schedule, its newest verified snapshot's age.
    # (Snapshots go on meanwhile, and each one's status is a write: the
    # index the table shows lies between the two reads around it.)
    before = status_of(node, root, "nightly")["last_verified_index"]
    out = node.cli("operator", "raft", "snapshot-auto", "status", token=root)
    after = status_of(node, root, "nightly")["last_verified_index"]
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["Name", "Newest", "Verified"], out.stdout
    row = next(line for line in lines if line.startswith("nightly")).split()
    assert before <= int(row[3]) <= after, (before, row, after)
    assert status_of(node, root, "nightly")["last_verified_age_seconds"] < 60
    assert node.api("DELETE", f"{CONFIG}/nightly", token=root).status == 204
    out = node.cli("operator", "raft", "snapshot-auto", "status", token=root)
    assert out.returncode == 0 and "No automated snapshot schedules" in out.stderr, out


BAD = [
    ({"retain": 1, "storage_type": "local", "path_prefix": "/tmp/x"}, "interval is required"),
    ({"interval": "soon", "storage_type": "local", "path_prefix": "/tmp/x"}, "interval"),
    ({"interval": 0, "storage_type": "local", "path_prefix": "/tmp/x"}, "at least 1s"),
    ({"interval": 60, "retain": 0, "storage_type": "local", "path_prefix": "/tmp/x"},
     "retain must be at least 1"),
    ({"interval": 60, "retain": "many", "storage_type": "local", "path_prefix": "/tmp/x"},
     "retain"),
    ({"interval": 60, "storage_type": "google-gcs"}, "storage_type must be"),
    ({"interval": 60}, "storage_type is required"),
    ({"interval": 60, "storage_type": "local", "path_prefix": "relative"}, "absolute"),
    ({"interval": 60, "storage_type": "local", "path_prefix": "/tmp/x", "aws_s3_bucket": "b"},
     "aws_s3_bucket is for storage_type aws-s3"),
    ({"interval": 60, "storage_type": "local", "path_prefix": "/tmp/x", "local_max_space": -1},
     "local_max_space"),
    ({"interval": 60, "storage_type": "aws-s3"}, "aws_s3_bucket is required"),
    ({"interval": 60, "storage_type": "aws-s3", "aws_s3_bucket": "b", "local_max_space": 5},
     "local_max_space is for storage_type local"),
    ({"interval": 60, "storage_type": "aws-s3", "aws_s3_bucket": "b",
      "aws_access_key_id": "k"}, "given together"),
    ({"interval": 60, "storage_type": "aws-s3", "aws_s3_bucket": "b",
      "aws_s3_endpoint": "http://x:1"}, "host[:port]"),
    ({"interval": 60, "storage_type": "local", "path_prefix": "/tmp/x", "file_prefix": "a/b"},
     "file_prefix"),
    ({"interval": 60, "storage_type": "local", "path_prefix": "/tmp/x", "bogus": 1},
     "unrecognized parameters: [bogus]"),
]


@pytest.mark.parametrize("body,fragment", BAD)
def test_bad_config_is_refused_and_nothing_is_stored(single, body, fragment):
    node, root, _ = single
    r = node.api("POST", f"{CONFIG}/bad", body, token=root)
    assert r.status == 400 and fragment in r.errors[0], r
    assert node.api("GET", f"{CONFIG}/bad", token=root).status == 404


def test_names_tokens_and_statuses(single):
    node, root, _ = single
    assert node.api("POST", f"{CONFIG}/bad%20name", {"interval": 60}, token=root).status == 400
    assert node.api("GET", f"{STATUS}/missing", token=root).status == 404
    assert node.api("GET", f"{STATUS}/missing").status == 403


def test_the_new_active_carries_the_schedule_on(tmp_path):
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    directory = str(tmp_path / "cluster")
    try:
        body = {"interval": 2, "retain": 100, "storage_type": "local", "path_prefix": directory,
                "file_prefix": "nightly"}
        first = active_node(nodes)
        assert first.api("POST", f"{CONFIG}/nightly", body, token=root).status == 204
        wait_for(lambda: len(snapshots_in(directory)) >= 2, timeout=30,
                 what="snapshots before the failover")
        first.kill()
        wait_for(lambda: active_node(nodes) not in (None, first), timeout=60,
                 what="a new active node")
        count = len(snapshots_in(directory))
        wait_for(lambda: len(snapshots_in(directory)) >= count + 2, timeout=30,
                 what="snapshots by the new active node")
        stamps = [int(NAME_RE.match(n).group(1)) for n in snapshots_in(directory)]
        gaps = [(b - a) / 1e9 for a, b in zip(stamps, stamps[1:])]
        # Never two for one interval (a doubled snapshot), whoever took them.
        assert min(gaps) > 1.0, gaps
        new_active = active_node(nodes)
        assert status_of(new_active, root, "nightly")["last_snapshot_error"] == ""
        first.start()
        first.unseal(keys[:2])
    finally:
        close_all(nodes)
