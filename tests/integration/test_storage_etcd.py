"""storage "etcd" with the real tresor binary against a throwaway etcd
(etcd_support.py): the data path, HA between two nodes on one etcd (one
active, the standby forwards, kill -9 of the active under a writer loses no
acknowledged write), an etcd restart under a running node, and a readable
failure when etcd cannot be reached at start."""
import threading

from etcd_support import EtcdServer, etcd_storage_block
from harness import TresorServer, active_node, close_all, wait_for


def _kv_v2(node, token):
    r = node.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                 token=token)
    assert r.status == 204, r


def test_single_node_init_unseal_kv():
    with EtcdServer() as etcd:
        node = TresorServer(storage_block=etcd_storage_block(etcd.url, ha=False))
        node.start()
        try:
            init = node.init()
            node.unseal(init["keys"])
            root = init["root_token"]
            wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
            _kv_v2(node, root)
            r = node.api("POST", "kv/data/app", {"data": {"password": "s3cret"}}, token=root)
            assert r.status == 200, r
            r = node.api("GET", "kv/data/app", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"password": "s3cret"}, r
            # Values are ciphertext in etcd and never logged.
            assert "s3cret" not in node.logs()
            # A restart reads it back from etcd.
            node.restart()
            node.unseal(init["keys"])
            wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
            r = node.api("GET", "kv/data/app", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"password": "s3cret"}, r
        finally:
            node.close()


def test_two_nodes_one_active_standby_forwards_and_kill_9_fails_over():
    with EtcdServer() as etcd:
        nodes = [TresorServer(storage_block=etcd_storage_block(etcd.url)) for _ in range(2)]
        try:
            for n in nodes:
                n.start()
            init = nodes[0].init()
            keys, root = init["keys"], init["root_token"]
            for n in nodes:
                n.unseal(keys)
            active = wait_for(lambda: active_node(nodes), timeout=60, what="an active node")
            standby = nodes[1] if active is nodes[0] else nodes[0]
            # Exactly one is active.
            wait_for(lambda: standby.api("GET", "sys/leader").status == 200 and
                     standby.api("GET", "sys/leader").json["is_self"] is False and
                     standby.api("GET", "sys/leader").json["leader_address"] == active.address,
                     timeout=60, what="the standby to name the active node")
            assert active.api("GET", "sys/leader").json["is_self"] is True
            _kv_v2(active, root)
            # The standby forwards a write.
            r = standby.api("POST", "kv/data/forwarded", {"data": {"v": "1"}}, token=root)
            assert r.status == 200, r
            r = active.api("GET", "kv/data/forwarded", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"v": "1"}, r

            # kill -9 of the active under a writer.
            acknowledged = {}
            stop = threading.Event()

            def writer():
                i = 0
                while not stop.is_set():
                    try:
                        r = active.api("POST", f"kv/data/w{i}", {"data": {"v": i}}, token=root,
                                       timeout=10)
                    except OSError:
                        return
                    if r.status == 200:
                        acknowledged[f"w{i}"] = i
                    i += 1

            t = threading.Thread(target=writer)
            t.start()
            wait_for(lambda: len(acknowledged) >= 30, timeout=60, what="30 writes")
            assert active.kill() == -9
            stop.set()
            t.join()
            wait_for(lambda: standby.api("GET", "sys/leader").status == 200 and
                     standby.api("GET", "sys/leader").json["is_self"] is True,
                     timeout=60, what="the standby to become active")
            for key, value in acknowledged.items():
                r = standby.api("GET", f"kv/data/{key}", token=root)
                assert r.status == 200 and r.json["data"]["data"] == {"v": value}, (key, r)
            r = standby.api("POST", "kv/data/after", {"data": {"v": "2"}}, token=root)
            assert r.status == 200, r
        finally:
            close_all(nodes)


def test_etcd_restart_under_a_running_node():
    with EtcdServer() as etcd:
        node = TresorServer(storage_block=etcd_storage_block(etcd.url))
        node.start()
        try:
            init = node.init()
            node.unseal(init["keys"])
            root = init["root_token"]
            wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
            _kv_v2(node, root)
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
