"""Audit configuration across a 3-node raft cluster (docs/audit.md,
"Persistence and the cluster"): a request sent to a standby is audited by
the active node; after a failover the new active node has the same device
with the same salt (a value hashes the same way) and audits; a snapshot
restore brings back the device table the snapshot holds."""
import json
import os
import tempfile

import pytest

from harness import active_node, form_raft_cluster, wait_for, close_all
from snapshot_support import restore, save

SECRET = "cluster-audit-secret-5d1e"


@pytest.fixture(scope="module")
def cluster():
    nodes, keys, root = form_raft_cluster(3)
    yield nodes, root
    close_all(nodes)


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def audited(path, request_path):
    return [e for e in lines(path) if e["request"]["path"] == request_path]


def audit_hash(node, root, value):
    r = node.api("POST", "sys/audit-hash/file", {"input": value}, token=root)
    assert r.status == 200, r
    return r.json["data"]["hash"]


def test_devices_follow_the_active_node_and_a_snapshot_restore(cluster):
    nodes, root = cluster
    logs = tempfile.TemporaryDirectory(prefix="tresor-audit-cluster-")
    log = os.path.join(logs.name, "audit.log")
    active = active_node(nodes)
    r = active.api("PUT", "sys/audit/file", {"type": "file", "options": {"file_path": log}},
                   token=root)
    assert r.status == 204, r
    assert active.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                      token=root).status == 204
    salted = audit_hash(active, root, SECRET)

    # Through a standby: forwarded, and audited (once) by the active.
    standby = next(n for n in nodes if n is not active)
    r = standby.api("POST", "secret/data/app", {"data": {"password": SECRET}}, token=root)
    assert r.status == 200, r
    entries = audited(log, "secret/data/app")
    assert [e["type"] for e in entries] == ["request", "response"], entries
    assert SECRET not in open(log).read()
    assert entries[0]["request"]["data"]["data"]["password"] == salted
    archive_status, archive, _ = save(active, root)
    assert archive_status == 200

    # Failover: the new active node loads the same table and salt.
    assert active.api("PUT", "sys/step-down", token=root).status == 204
    wait_for(lambda: active_node(nodes) not in (None, active), timeout=60,
             what="another node to become active")
    new_active = active_node(nodes)
    r = new_active.api("GET", "sys/audit", token=root)
    assert r.status == 200 and list(r.json["data"]) == ["file/"], r
    assert audit_hash(new_active, root, SECRET) == salted
    assert new_active.api("GET", "secret/data/app", token=root).status == 200
    reads = [e for e in audited(log, "secret/data/app") if e["request"]["operation"] == "read"]
    assert [e["type"] for e in reads][-2:] == ["request", "response"], reads

    # Disabled, then a restore of the snapshot taken while it was enabled:
    # the device is back, with its salt.
    assert new_active.api("DELETE", "sys/audit/file", token=root).status == 204
    assert new_active.api("GET", "sys/audit", token=root).json["data"] == {}
    status, body, _ = restore(new_active, root, archive)
    assert status == 204, body
    def restored():
        node = active_node(nodes)
        if node is None:
            return False
        r = node.api("GET", "sys/audit", token=root)
        return r.status == 200 and "file/" in r.json["data"]
    wait_for(restored, timeout=60, what="the restored device table on the active node")
    restored_active = active_node(nodes)
    assert audit_hash(restored_active, root, SECRET) == salted
    before = len(lines(log))
    assert restored_active.api("GET", "secret/data/app", token=root).status == 200
    assert len(lines(log)) == before + 2
    logs.cleanup()
