"""Seal migration on real processes (docs/seal.md, "Seal migration"): Shamir
to transit, transit to awskms, and awskms back to Shamir on a single node,
each keeping the same shares (unseal keys become recovery keys and the
reverse); and on a 3-node cluster, node by node, Shamir to transit, transit
to awskms and transit to Shamir, each with a writer running throughout and
every acknowledged write read back at the end. The auto-sealed clusters are
formed by joining through the seal, with no shares."""
import threading
import urllib.error

import pytest

from fake_kms import FakeKms
from harness import TresorServer, active_node, form_raft_cluster, voters, wait_for, close_all
from seal_support import Unsealer, init_auto, wait_unsealed
from test_seal_awskms import ACCESS, SECRET, awskms_block


def restart_with(node, extra_config):
    assert node.stop() == 0
    node.extra_config = extra_config
    node.write_config()
    node.start()


def migrate(node, keys):
    status = node.seal_status()
    assert status["sealed"] is True and status["migration"] is True, status
    r = node.api("PUT", "sys/unseal", {"key": keys[0]})
    assert r.status == 400 and "migrate" in r.errors[0], r
    for key in keys:
        r = node.api("PUT", "sys/unseal", {"key": key, "migrate": True})
        assert r.status == 200, r
    assert r.json["sealed"] is False, r


def test_single_node_shamir_to_transit_to_awskms_to_shamir():
    unsealer = Unsealer()
    kms = FakeKms(ACCESS, SECRET).start()
    node = TresorServer(storage="raft")
    try:
        node.start()
        init = node.init(3, 2)
        keys, root = init["keys"], init["root_token"]
        node.unseal(keys[:2])
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="active")
        assert node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        assert node.api("PUT", "kv/s", {"v": "kept"}, token=root).status == 204

        # Shamir -> transit: the unseal keys become the recovery keys.
        restart_with(node, unsealer.seal_block())
        migrate(node, keys[1:3])
        status = node.seal_status()
        assert (status["type"], status["recovery_seal"], status["migration"]) == \
            ("transit", True, False)
        assert (status["n"], status["t"]) == (3, 2)
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
        assert node.api("GET", "kv/s", token=root).json["data"]["v"] == "kept"

        # transit -> awskms: the old seal stays in the config, disabled.
        restart_with(node, unsealer.seal_block(disabled=True) + awskms_block(kms))
        migrate(node, keys[:2])
        assert node.seal_status()["type"] == "awskms"
        restart_with(node, awskms_block(kms))
        wait_unsealed(node)
        assert node.api("GET", "kv/s", token=root).json["data"]["v"] == "kept"

        # awskms -> Shamir: the recovery keys become the unseal keys again.
        restart_with(node, awskms_block(kms, disabled=True))
        migrate(node, [keys[0], keys[2]])
        status = node.seal_status()
        assert (status["type"], status["recovery_seal"]) == ("shamir", False)
        restart_with(node, "")
        node.unseal(keys[1:3])
        assert node.seal_status()["sealed"] is False
        assert node.api("GET", "kv/s", token=root).json["data"]["v"] == "kept"
    finally:
        node.close()
        kms.stop()
        unsealer.close()


class Writer(threading.Thread):
    """Writes kv/w<i> through whichever node answers, remembering every
    write that was acknowledged."""

    def __init__(self, nodes, token):
        super().__init__(daemon=True)
        self.nodes, self.token = nodes, token
        self.acked = []
        self.stop_event = threading.Event()

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            for node in self.nodes:
                if node.proc is None:
                    continue
                try:
                    r = node.api("PUT", f"kv/w{i}", {"v": str(i)}, token=self.token, timeout=5)
                except (urllib.error.URLError, ConnectionError, OSError):
                    continue
                if r.status == 204:
                    self.acked.append(i)
                    i += 1
                    break
            self.stop_event.wait(0.01)


def form_auto_cluster(block, count=3):
    """`count` raft nodes with the seal `block`: the first initialised with
    recovery keys, the others joined, unsealed by their seal alone."""
    nodes = [TresorServer(storage="raft", extra_config=block) for _ in range(count)]
    for n in nodes:
        n.start()
    first = nodes[0]
    init = init_auto(first, 3, 2)
    wait_for(lambda: first.api("GET", "sys/leader").json["is_self"], what="the first node active")
    for n in nodes[1:]:
        r = n.api("POST", "sys/storage/raft/join", {"leader_api_addr": first.address})
        assert r.status == 200, r
        wait_unsealed(n)
    wait_for(lambda: len(voters(first, init["root_token"])) == count, timeout=60,
             what="every node to be a voter")
    return nodes, init["recovery_keys"], init["root_token"]


@pytest.mark.parametrize("direction", ["shamir-transit", "transit-awskms", "transit-shamir"])
def test_cluster_migrates_node_by_node_with_a_writer_running(direction):
    source, target = direction.split("-")
    unsealer = Unsealer()
    kms = FakeKms(ACCESS, SECRET).start()
    blocks = {"transit": unsealer.seal_block,
              "awskms": lambda disabled=False: awskms_block(kms, disabled=disabled)}
    # The config a node moves to: the new seal, and the old one disabled.
    new_config = (blocks[source](disabled=True) if source != "shamir" else "") + \
        (blocks[target]() if target != "shamir" else "")
    if source == "shamir":
        nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    else:
        nodes, keys, root = form_auto_cluster(blocks[source]())
    writer = None
    try:
        leader = active_node(nodes)
        assert leader.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        writer = Writer(nodes, root)
        writer.start()
        wait_for(lambda: len(writer.acked) > 20, what="the writer to get going")
        # Standbys first: each unseals for the migration and waits for it.
        for node in [n for n in nodes if n is not leader]:
            restart_with(node, new_config)
            migrate(node, keys[:2])
            assert node.seal_status()["migration"] is True  # not written yet: a standby
        before = len(writer.acked)
        wait_for(lambda: len(writer.acked) > before + 20, what="writes to keep going")
        # The active steps down; a migrated standby takes over and writes it.
        assert leader.api("PUT", "sys/step-down", token=root).status == 204
        wait_for(lambda: (active_node(nodes) or leader) is not leader, timeout=30,
                 what="a new active node")
        wait_for(lambda: all(n.seal_status()["migration"] is False
                             for n in nodes if n is not leader),
                 timeout=30, what="the migration to be written")
        restart_with(leader, new_config if target != "shamir" else "")
        if target == "shamir":
            leader.unseal(keys[:2])
        wait_unsealed(leader)
        before = len(writer.acked)
        wait_for(lambda: len(writer.acked) > before + 20, what="writes after the migration")
        writer.stop_event.set()
        writer.join(timeout=30)
        for node in nodes:
            assert node.seal_status()["type"] == target
        # Every acknowledged write is there.
        active = active_node(nodes)
        for i in writer.acked:
            r = active.api("GET", f"kv/w{i}", token=root)
            assert r.status == 200 and r.json["data"]["v"] == str(i), (i, r)
        # Every node unseals the new way after a full restart, with the old
        # config's seal gone.
        for node in nodes:
            assert node.stop() == 0
            node.extra_config = blocks[target]() if target != "shamir" else ""
            node.write_config()
        for node in nodes:
            node.start()
        for node in nodes:
            if target == "shamir":
                node.unseal(keys[:2])
            wait_unsealed(node, timeout=60)
    finally:
        if writer is not None:
            writer.stop_event.set()
        close_all(nodes)
        kms.stop()
        unsealer.close()
