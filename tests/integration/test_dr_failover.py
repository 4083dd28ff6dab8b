"""DR replication under failures, on a 3-node primary and a 3-node
secondary of real processes: writers on the primary while its active node
and then the secondary's active node are killed with -9 (the stream
resumes from where the secondary's log stands); then the whole primary is
killed and the secondary promoted with a batch DR operation token made on
the primary in advance: every write acknowledged more than the reported lag
before the loss is on the new primary. Then failback: the old primary,
restarted, is demoted and follows the new primary without a wipe."""
import threading
import time

import pytest

from dr_support import dr_status, secondary_token, set_up_pair, wait_caught_up
from harness import active_node, wait_for

PROMOTE_POLICY = 'path "sys/replication/dr/secondary/promote" { capabilities = ["update"] }'


class Writers:
    """Writers through every live node of a cluster; records each
    acknowledged write with the time its answer arrived."""

    def __init__(self, nodes, root, prefix, count=2):
        self.nodes, self.root, self.prefix = nodes, root, prefix
        self.acknowledged = {}  # key -> (value, time answered)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(count)]

    def _run(self, number):
        i = 0
        while not self.stop.is_set():
            live = [n for n in self.nodes if n.proc is not None]
            if not live:
                return
            node = live[i % len(live)]
            key = f"{self.prefix}/w{number}-{i}"
            try:
                r = node.api("POST", f"kv/data/{key}", {"data": {"v": i}}, token=self.root,
                             timeout=10)
                if r.status == 200:
                    with self.lock:
                        self.acknowledged[key] = (i, time.time())
            except OSError:
                pass  # a node killed under the request: never answered
            i += 1

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def streaming_node(nodes):
    """The secondary node whose DR client follows the primary."""
    for n in nodes:
        if n.proc is None:
            continue
        r = n.api("GET", "sys/replication/dr/status")
        if r.status == 200 and r.json["data"].get("state") == "stream-wals":
            return n
    return None


@pytest.fixture(scope="module")
def clusters():
    pnodes, pkeys, proot, snodes = set_up_pair(3, 3)
    assert pnodes[0].api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                         token=proot).status == 204
    yield pnodes, pkeys, proot, snodes
    for n in pnodes + snodes:
        if n.proc is not None and n.proc.poll() is not None:
            # A node that died on its own: its log says why (close() fails).
            print(f"node {n.address} exited with {n.proc.returncode}:\n{n.logs()[-3000:]}")
        n.close()


def test_the_stream_survives_losing_either_active_node(clusters):
    pnodes, pkeys, proot, snodes = clusters
    with Writers(pnodes, proot, "actives") as writers:
        wait_for(lambda: writers.count() >= 30, timeout=60, what="writes before the kill")
        victim = active_node(pnodes)
        victim.kill()
        wait_for(lambda: active_node(pnodes) not in (None, victim), timeout=60,
                 what="a new active node on the primary")
        seen = writers.count()
        wait_for(lambda: writers.count() >= seen + 30, timeout=60, what="writes after failover")
        wait_for(lambda: streaming_node(snodes) is not None, timeout=60,
                 what="the secondary to follow the new active node")
        follower = streaming_node(snodes)
        follower.kill()
        wait_for(lambda: streaming_node(snodes) not in (None, follower), timeout=60,
                 what="another secondary node to take over the stream")
        seen = writers.count()
        wait_for(lambda: writers.count() >= seen + 30, timeout=60, what="more writes")
    for node in (victim, follower):
        node.start()
        node.unseal(pkeys[:2])
    primary = active_node(pnodes)
    wait_caught_up(primary, streaming_node(snodes))
    # Nothing was resynced: the stream resumed where the secondary's log stood.
    assert dr_status(streaming_node(snodes))["resyncs"] == 0
    assert dr_status(primary)["secondaries"][0]["connection_status"] == "connected"


def test_promotion_after_losing_the_whole_primary(clusters):
    pnodes, pkeys, proot, snodes = clusters
    primary = active_node(pnodes)
    assert primary.api("PUT", "sys/policies/acl/dr-promote", {"policy": PROMOTE_POLICY},
                       token=proot).status == 204
    r = primary.api("POST", "auth/token/create-orphan",
                    {"policies": ["dr-promote"], "ttl": "8h"}, token=proot)
    assert r.status == 200, r
    batch_token = r.json["auth"]["client_token"]
    with Writers(pnodes, proot, "loss") as writers:
        wait_for(lambda: writers.count() >= 100, timeout=60, what="writes before the loss")
        follower = streaming_node(snodes)
        asked_at = time.time()  # before the status, so the bound below is conservative
        lag = dr_status(follower)["lag_seconds"]
        for n in pnodes:
            n.kill()
    assert 0 <= lag < 5, lag
    bound = asked_at - lag
    started = time.monotonic()
    r = follower.api("POST", "sys/replication/dr/secondary/promote",
                     {"dr_operation_token": batch_token})
    assert r.status == 204, r
    new_primary = follower
    wait_for(lambda: new_primary.api("POST", "kv/data/first-after", {"data": {"v": 1}},
                                     token=proot).status == 200,
             timeout=30, interval=0.02, what="the promoted cluster to take a write")
    promotion = time.monotonic() - started
    assert promotion < 10, promotion
    missing = []
    for key, (value, answered) in writers.acknowledged.items():
        if answered >= bound:
            continue  # within the reported lag: allowed to be missing
        r = new_primary.api("GET", f"kv/data/{key}", token=proot)
        if r.status != 200 or r.json["data"]["data"] != {"v": value}:
            missing.append(key)
    checked = sum(1 for _, t in writers.acknowledged.values() if t < bound)
    assert checked > 0 and not missing, (checked, missing[:5])
    # The other secondary nodes serve as standbys of the new primary.
    assert dr_status(new_primary)["mode"] == "primary"


def test_failback_without_a_wipe(clusters):
    pnodes, pkeys, proot, snodes = clusters
    new_primary = active_node(snodes)
    assert new_primary is not None
    r = new_primary.api("POST", "sys/replication/dr/primary/enable", {}, token=proot)
    assert r.status == 400 and "already a DR primary" in r.errors[0], r
    # The old primary comes back as it was: demote it before anything else.
    for n in pnodes:
        n.start()
        n.unseal(pkeys[:2])
    wait_for(lambda: active_node(pnodes) is not None, timeout=60, what="the old primary")
    old = active_node(pnodes)
    assert old.api("POST", "sys/replication/dr/primary/demote", {}, token=proot).status == 204
    r = old.api("POST", "kv/data/split-brain", {"data": {"v": 1}}, token=proot)
    assert r.status == 400, r
    token = secondary_token(new_primary, proot, "old-primary")
    # A demoted primary takes update-primary with a DR operation token: here
    # a token of its own store allowed to update it.
    r = old.api("POST", "sys/replication/dr/secondary/update-primary",
                {"dr_operation_token": proot, "token": token})
    assert r.status == 204, r
    wait_for(lambda: streaming_node(pnodes) is not None, timeout=60,
             what="the old primary to follow the new one")
    wait_caught_up(new_primary, streaming_node(pnodes))
    status = dr_status(streaming_node(pnodes))
    assert status["mode"] == "secondary" and status["secondary_id"] == "old-primary"
