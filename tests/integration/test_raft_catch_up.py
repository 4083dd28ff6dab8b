"""A node offline for more than snapshot_threshold writes catches up on
real processes: the leader has compacted its log past what the node has, so
the node must be sent a raft snapshot; once back it holds every write and,
made active by step-down, serves them all."""
from harness import form_raft_cluster, wait_for, close_all

# Small enough that 400 writes compact the log several times over.
SMALL_LOG = "  snapshot_threshold = 64\n  trailing_logs = 16\n"


def leader_json(node):
    return node.api("GET", "sys/leader").json


def test_a_node_offline_past_snapshot_threshold_catches_up_through_a_snapshot():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2, storage_extra=SMALL_LOG)
    try:
        active = next(n for n in nodes if leader_json(n)["is_self"])
        assert active.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        laggard, other = [n for n in nodes if n is not active]
        laggard.kill()
        for i in range(400):
            r = active.api("POST", f"kv/k{i}", {"i": i}, token=root)
            assert r.status == 204, r
        target = leader_json(active)["raft_committed_index"]

        laggard.start()
        laggard.unseal(keys[:2])
        wait_for(lambda: leader_json(laggard)["raft_applied_index"] >= target, timeout=60,
                 what="the restarted node to catch up")
        assert "state restored from a snapshot" in laggard.logs(), "expected a snapshot install"

        # Make the laggard the active node and read everything from it.
        other.kill()
        r = active.api("PUT", "sys/step-down", token=root)
        assert r.status == 204, r
        wait_for(lambda: leader_json(laggard)["is_self"], timeout=30, what="laggard active")
        for i in range(400):
            r = laggard.api("GET", f"kv/k{i}", token=root)
            assert r.status == 200 and r.json["data"] == {"i": i}, (i, r)
    finally:
        close_all(nodes)
