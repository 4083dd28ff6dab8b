"""remove-peer on real processes: the removed node learns it was removed
(through raft, before it leaves the configuration), seals itself and
refuses every request, also after a restart, with a message saying to wipe
it; the cluster keeps serving with two voters; wiped, the node joins again
under the same node_id and serves."""
import shutil

from harness import form_raft_cluster, join_and_unseal, voters, wait_for, close_all


def is_active(node):
    return node.api("GET", "sys/leader").json.get("is_self") is True


def refuses_as_removed(node):
    r = node.api("GET", "sys/leader")
    return r.status == 503 and "removed from the raft cluster" in r.errors[0]


def test_a_removed_node_refuses_to_serve_until_wiped_and_rejoined():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    try:
        active = next(n for n in nodes if is_active(n))
        assert active.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        victim = next(n for n in nodes if n is not active)
        victim_id = next(s["node_id"] for s in voters(active, root)
                         if s["address"] == f"127.0.0.1:{victim.cluster_port}")

        r = active.api("POST", "sys/storage/raft/remove-peer", {"server_id": victim_id},
                       token=root)
        assert r.status == 204, r
        assert [s["node_id"] for s in voters(active, root)].count(victim_id) == 0
        assert len(voters(active, root)) == 2
        wait_for(lambda: refuses_as_removed(victim), timeout=30,
                 what="the removed node to refuse requests")
        assert victim.seal_status()["sealed"] is True
        r = victim.api("PUT", "sys/unseal", {"key": keys[0]})
        assert r.status == 503 and "wipe its storage path" in r.errors[0], r

        # The cluster goes on with two voters.
        assert active.api("POST", "kv/after-removal", {"v": "1"}, token=root).status == 204

        # The verdict survives a restart.
        victim.restart()
        wait_for(lambda: refuses_as_removed(victim), timeout=30, what="refusal after restart")

        # Wiped, the same node_id joins again and serves.
        assert victim.stop() == 0
        shutil.rmtree(victim.data_dir)
        victim.storage_extra = f'  node_id = "{victim_id}"\n'
        victim.write_config()
        victim.start()
        join_and_unseal(victim, active, keys[:2])
        wait_for(lambda: len(voters(active, root)) == 3, timeout=60, what="promotion")
        r = victim.api("GET", "kv/after-removal", token=root)
        assert r.status == 200 and r.json["data"] == {"v": "1"}, r
    finally:
        close_all(nodes)
