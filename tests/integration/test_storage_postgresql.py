"""storage "postgresql" with the real tresor binary against a throwaway
PostgreSQL 15 (postgres_support.py): the data path on one node, HA between
two nodes on one database (exactly one active, the standby forwards, kill -9
of the active under a writer loses no acknowledged write and the standby
takes over), and readable failures at start for an unreachable server and
for wrong credentials."""
from ha_support import (init_unseal_with_kv, one_active_forwarding_and_kill_9_failover,
                        secret_survives_a_restart)
from harness import TresorServer, wait_for
from postgres_support import PostgresServer, postgresql_storage_block

# Shorter than Vault's 15 s so that the fail-over test does not wait long.
FAST_LOCK = '  lock_ttl = "4s"\n  lock_renew_interval = "1s"\n'


def test_single_node_init_unseal_kv():
    with PostgresServer() as pg:
        # The database password is never logged either.
        secret_survives_a_restart(postgresql_storage_block(pg.url, ha=False),
                                  never_logged=(pg.url.split(":")[2].split("@")[0],))


def test_two_nodes_one_active_standby_forwards_and_kill_9_fails_over():
    with PostgresServer() as pg:
        one_active_forwarding_and_kill_9_failover(postgresql_storage_block(pg.url, extra=FAST_LOCK))


def test_postgresql_down_and_up_under_a_running_ha_node():
    """The database crashes under the active node: writes fail with a 5xx,
    the node cannot renew its lock and stops being active; once the
    database is back the node takes the lock again and writes work, with
    everything written before still there, and no restart of the node."""
    with PostgresServer() as pg:
        node = TresorServer(storage_block=postgresql_storage_block(pg.url, extra=FAST_LOCK))
        node.start()
        try:
            init, root = init_unseal_with_kv(node)
            r = node.api("POST", "kv/data/before", {"data": {"v": 1}}, token=root)
            assert r.status == 200, r
            pg.down()
            r = node.api("POST", "kv/data/during", {"data": {"v": 2}}, token=root, timeout=60)
            assert r.status >= 500, r
            wait_for(lambda: node.api("GET", "sys/health").status != 200, timeout=30,
                     what="the node to stop being active without its lock")
            pg.up()

            def written():
                r = node.api("POST", "kv/data/after", {"data": {"v": 3}}, token=root, timeout=30)
                return r.status == 200
            wait_for(written, timeout=90, interval=0.5, what="writes to work again")
            r = node.api("GET", "kv/data/before", token=root)
            assert r.status == 200 and r.json["data"]["data"] == {"v": 1}, r
            assert node.api("GET", "sys/leader").json["is_self"] is True
        finally:
            node.close()


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
