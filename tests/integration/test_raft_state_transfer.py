"""A follower behind the leader's last raft snapshot fetches the leader's
state, streamed over the cluster port (docs/raft.md, "Snapshots"), on real
processes, with kills on either side of the stream:

1. the follower is killed -9 in the middle of its install (the leader is
   frozen with SIGSTOP the moment the follower starts fetching, so that the
   stream cannot finish first): it comes back, finds its store behind its
   own last snapshot, fetches the state again from the members in its peers
   file and serves everything;
2. the leader is killed -9 while a follower fetches from it: the follower
   gets the state from the new leader, and nothing acknowledged is lost.
"""
import os
import signal

from harness import form_raft_cluster, wait_for, close_all

# Small enough that the writes below compact the log many times over.
SMALL_LOG = "  snapshot_threshold = 16\n  trailing_logs = 4\n"
# About 40 MB of state: more than the socket buffers hold, so a frozen
# leader stops the stream part-way.
BIG_WRITES = 48
BIG_VALUE = "x" * (800 * 1024)
RESTORED = "state restored from a snapshot"
FETCHING = "fetching the state"


def leader_json(node):
    return node.api("GET", "sys/leader").json


def run_log(node):
    """What the node's current process has logged."""
    with open(node.log_path, "rb") as f:
        f.seek(node._log_offset)
        return f.read().decode(errors="replace")


def restart_behind(laggard, keys):
    laggard.start()
    laggard.unseal(keys[:2])
    wait_for(lambda: FETCHING in run_log(laggard), timeout=60,
             what="the follower to start fetching the state")


def check_state(node, root):
    for i in range(BIG_WRITES):
        r = node.api("GET", f"kv/big{i}", token=root)
        assert r.status == 200 and r.json["data"] == {"v": BIG_VALUE, "i": i}, (i, r.status)


def make_active(node, nodes, root):
    """Steps the active node down until `node` leads."""
    def leads():
        if leader_json(node)["is_self"]:
            return True
        current = next((n for n in nodes if n.proc and leader_json(n)["is_self"]), None)
        if current is not None:
            current.api("PUT", "sys/step-down", token=root)
        return False
    wait_for(leads, timeout=60, interval=0.5, what="the follower to become active")


def test_state_transfer_survives_a_kill_on_either_side():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2, storage_extra=SMALL_LOG)
    try:
        active = next(n for n in nodes if leader_json(n)["is_self"])
        laggard, other = [n for n in nodes if n is not active]
        assert active.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        laggard.kill()
        for i in range(BIG_WRITES):
            r = active.api("POST", f"kv/big{i}", {"v": BIG_VALUE, "i": i}, token=root)
            assert r.status == 204, r

        # 1. The follower dies in the middle of its install.
        restart_behind(laggard, keys)
        os.kill(active.pid, signal.SIGSTOP)
        try:
            assert RESTORED not in run_log(laggard), "the install finished before the freeze"
            laggard.kill()
        finally:
            os.kill(active.pid, signal.SIGCONT)
        laggard.start()
        laggard.unseal(keys[:2])
        target = leader_json(active)["raft_committed_index"]
        wait_for(lambda: leader_json(laggard)["raft_applied_index"] >= target, timeout=90,
                 what="the follower to catch up after its restart")
        assert RESTORED in run_log(laggard)

        # 2. The leader dies while the follower fetches from it.
        laggard.kill()
        for i in range(40):
            r = active.api("POST", f"kv/small{i}", {"i": i}, token=root)
            assert r.status == 204, r
        restart_behind(laggard, keys)
        active.kill()
        wait_for(lambda: leader_json(other)["is_self"], timeout=60, what="a new leader")
        r = other.api("POST", "kv/after", {"v": "failover"}, token=root)
        assert r.status == 204, r
        wait_for(lambda: RESTORED in run_log(laggard), timeout=90,
                 what="the follower to install the state from the new leader")

        make_active(laggard, [laggard, other], root)
        check_state(laggard, root)
        for i in range(40):
            r = laggard.api("GET", f"kv/small{i}", token=root)
            assert r.status == 200 and r.json["data"] == {"i": i}, (i, r)
        r = laggard.api("GET", "kv/after", token=root)
        assert r.status == 200 and r.json["data"] == {"v": "failover"}, r
    finally:
        close_all(nodes)
