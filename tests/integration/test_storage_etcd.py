"""storage "etcd" with the real tresor binary against a throwaway etcd
(etcd_support.py): the data path, HA between two nodes on one etcd (one
active, the standby forwards, kill -9 of the active under a writer loses no
acknowledged write), an etcd restart under a running node, and a readable
failure when etcd cannot be reached at start."""
from etcd_support import EtcdServer, etcd_storage_block
from ha_support import (init_unseal_with_kv, one_active_forwarding_and_kill_9_failover,
                        secret_survives_a_restart)
from harness import TresorServer, wait_for


def test_single_node_init_unseal_kv():
    with EtcdServer() as etcd:
        secret_survives_a_restart(etcd_storage_block(etcd.url, ha=False))


def test_two_nodes_one_active_standby_forwards_and_kill_9_fails_over():
    with EtcdServer() as etcd:
        one_active_forwarding_and_kill_9_failover(etcd_storage_block(etcd.url))


def test_etcd_restart_under_a_running_node():
    with EtcdServer() as etcd:
        node = TresorServer(storage_block=etcd_storage_block(etcd.url))
        node.start()
        try:
            init, root = init_unseal_with_kv(node)
            assert node.api("POST", "kv/data/before", {"data": {"v": 1}},
                            token=root).status == 200
            etcd.kill()
            r = node.api("POST", "kv/data/during", {"data": {"v": 2}}, token=root, timeout=60)
            assert r.status >= 500, r
            etcd.resume()

            def written():
                r = node.api("POST", "kv/data/after", {"data": {"v": 3}}, token=root, timeout=60)
                return r.status == 200
            wait_for(written, timeout=90, interval=1, what="writes to work again")
            r = node.api("GET", "kv/data/before", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"v": 1}, r
        finally:
            node.close()


def test_unreachable_etcd_at_start_exits_with_a_message():
    node = TresorServer(storage_block=etcd_storage_block("http://127.0.0.1:1", ha=False))
    node.start(wait=False)
    try:
        code = node.proc.wait(timeout=60)
        assert code != 0
        assert "etcd" in node.logs() and "127.0.0.1:1" in node.logs(), node.logs()
    finally:
        node.proc = None
        node.close()
