"""storage "postgresql" with the real tresor binary against a throwaway
PostgreSQL 15 (postgres_support.py): the data path on one node, HA between
two nodes on one database (exactly one active, the standby forwards, kill -9
of the active under a writer loses no acknowledged write and the standby
takes over), and readable failures at start for an unreachable server and
for wrong credentials."""
import threading

from harness import TresorServer, active_node, close_all, wait_for
from postgres_support import PostgresServer, postgresql_storage_block

# Shorter than Vault's 15 s so that the fail-over test does not wait long.
FAST_LOCK = '  lock_ttl = "4s"\n  lock_renew_interval = "1s"\n'


def _kv_v2(node, token):
    r = node.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                 token=token)
    assert r.status == 204, r


def test_single_node_init_unseal_kv():
    with PostgresServer() as pg:
        node = TresorServer(storage_block=postgresql_storage_block(pg.url, ha=False))
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
            r = node.api("LIST", "kv/metadata/", token=root)
            assert r.status == 200 and r.json["data"]["keys"] == ["app"], r
            assert "s3cret" not in node.logs()
            assert pg.url.split(":")[2].split("@")[0] not in node.logs()  # the DB password
            node.restart()
            node.unseal(init["keys"])
            wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
            r = node.api("GET", "kv/data/app", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"password": "s3cret"}, r
        finally:
            node.close()


def test_two_nodes_one_active_standby_forwards_and_kill_9_fails_over():
    with PostgresServer() as pg:
        block = postgresql_storage_block(pg.url, extra=FAST_LOCK)
        nodes = [TresorServer(storage_block=block) for _ in range(2)]
        try:
            for n in nodes:
                n.start()
            init = nodes[0].init()
            keys, root = init["keys"], init["root_token"]
            for n in nodes:
                n.unseal(keys)
            active = wait_for(lambda: active_node(nodes), timeout=60, what="an active node")
            standby = nodes[1] if active is nodes[0] else nodes[0]

            def standby_names_active():
                r = standby.api("GET", "sys/leader")
                return (r.status == 200 and r.json["is_self"] is False and
                        r.json["leader_address"] == active.address)
            wait_for(standby_names_active, timeout=60, what="the standby to name the active node")
            assert active.api("GET", "sys/leader").json["is_self"] is True
            _kv_v2(active, root)
            r = standby.api("POST", "kv/data/forwarded", {"data": {"v": "1"}}, token=root)
            assert r.status in (200, 204), r
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

            def standby_is_active():
                r = standby.api("GET", "sys/leader")
                return r.status == 200 and r.json["is_self"] is True
            wait_for(standby_is_active, timeout=60, what="the standby to become active")
            for key, value in acknowledged.items():
                r = standby.api("GET", f"kv/data/{key}", token=root)
                assert r.status == 200 and r.json["data"]["data"] == {"v": value}, (key, r)
            r = standby.api("POST", "kv/data/after", {"data": {"v": "2"}}, token=root)
            assert r.status == 200, r
        finally:
            close_all(nodes)


def test_unreachable_server_at_start_exits_with_a_message():
    node = TresorServer(storage_block=postgresql_storage_block(
        "postgresql://tresor:pw@127.0.0.1:1/tresor?connect_timeout=3", ha=False))
    node.start(wait=False)
    try:
        code = node.proc.wait(timeout=60)
        assert code != 0
        logs = node.logs()
        assert "postgresql" in logs and "cannot connect" in logs, logs
        assert "ERROR: AddressSanitizer" not in logs, logs
    finally:
        node.proc = None
        node.close()


def test_wrong_credentials_at_start_exit_with_a_message():
    with PostgresServer() as pg:
        node = TresorServer(storage_block=postgresql_storage_block(
            pg.url_with_password("wrong-password"), ha=False))
        node.start(wait=False)
        try:
            code = node.proc.wait(timeout=60)
            assert code != 0
            logs = node.logs()
            assert "password authentication failed" in logs, logs
            assert "wrong-password" not in logs, logs
        finally:
            node.proc = None
            node.close()
