"""The HA scenario every HA backend must pass, on real tresor processes
(tests/integration/test_storage_*.py, test_ha_storage.py): two nodes on one
storage are started, initialised and unsealed; exactly one becomes active
and the other names it; the standby forwards a write; the active is killed
with -9 under a writer, and the standby takes over holding every
acknowledged write, and writes."""
import threading

from harness import TresorServer, active_node, close_all, wait_for


def mount_kv_v2(node, token):
    r = node.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                 token=token)
    assert r.status == 204, r


def init_unseal_with_kv(node):
    """Initialises and unseals a started single node, waits until it is
    active and mounts KV v2 at kv/; returns (init answer, root token)."""
    init = node.init()
    node.unseal(init["keys"])
    wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60,
             what="the node to be active")
    mount_kv_v2(node, init["root_token"])
    return init, init["root_token"]


def secret_survives_a_restart(storage_block, never_logged=()):
    """One node on `storage_block`: a KV v2 secret is written, read and
    listed, is in no log line (nor is anything in never_logged), and reads
    back after a restart."""
    node = TresorServer(storage_block=storage_block)
    node.start()
    try:
        init, root = init_unseal_with_kv(node)
        r = node.api("POST", "kv/data/app", {"data": {"password": "s3cret"}}, token=root)
        assert r.status == 200, r
        r = node.api("GET", "kv/data/app", token=root)
        assert r.status == 200 and r.json["data"]["data"] == {"password": "s3cret"}, r
        r = node.api("LIST", "kv/metadata/", token=root)
        assert r.status == 200 and r.json["data"]["keys"] == ["app"], r
        # Values are barrier ciphertext in the backend and never logged.
        for secret in ("s3cret",) + tuple(never_logged):
            assert secret not in node.logs()
        node.restart()
        node.unseal(init["keys"])
        wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
        r = node.api("GET", "kv/data/app", token=root)
        assert r.status == 200 and r.json["data"]["data"] == {"password": "s3cret"}, r
    finally:
        node.close()


def _leader(node):
    r = node.api("GET", "sys/leader")
    return r.json if r.status == 200 else None


def one_active_forwarding_and_kill_9_failover(storage_block):
    nodes = [TresorServer(storage_block=storage_block) for _ in range(2)]
    try:
        for n in nodes:
            n.start()
        init = nodes[0].init()
        keys, root = init["keys"], init["root_token"]
        for n in nodes:
            n.unseal(keys)
        active = wait_for(lambda: active_node(nodes), timeout=60, what="an active node")
        standby = nodes[1] if active is nodes[0] else nodes[0]
        wait_for(lambda: (_leader(standby) or {}).get("is_self") is False and
                 _leader(standby)["leader_address"] == active.address,
                 timeout=60, what="the standby to name the active node")
        assert _leader(active)["is_self"] is True
        mount_kv_v2(active, root)
        r = standby.api("POST", "kv/data/forwarded", {"data": {"v": "1"}}, token=root)
        assert r.status == 200, r
        r = active.api("GET", "kv/data/forwarded", token=root)
        assert r.status == 200 and r.json["data"]["data"] == {"v": "1"}, r

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
        wait_for(lambda: (_leader(standby) or {}).get("is_self") is True,
                 timeout=60, what="the standby to become active")
        for key, value in acknowledged.items():
            r = standby.api("GET", f"kv/data/{key}", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"v": value}, (key, r)
        r = standby.api("POST", "kv/data/after", {"data": {"v": "2"}}, token=root)
        assert r.status == 200, r
    finally:
        close_all(nodes)
