"""The ha_storage stanza on real processes: data in PostgreSQL (no lock of
its own), the HA lock from etcd; the HA scenario of ha_support.py (one
active, the standby forwards, kill -9 of the active under a writer loses no
acknowledged write and the standby takes over). Bad input: ha_storage with
raft storage, and with a data backend that has its own lock, stop the server
at start with a message saying why."""
from etcd_support import EtcdServer
from ha_support import one_active_forwarding_and_kill_9_failover
from harness import TresorServer
from postgres_support import PostgresServer, postgresql_storage_block


def etcd_ha_block(url):
    return f'ha_storage "etcd" {{\n  address = "{url}"\n  lock_timeout = "5s"\n}}\n'


def test_data_in_postgresql_lock_in_etcd():
    with PostgresServer() as pg, EtcdServer() as etcd:
        one_active_forwarding_and_kill_9_failover(
            postgresql_storage_block(pg.url, ha=False) + etcd_ha_block(etcd.url))


def _refused_at_start(node, message):
    node.start(wait=False)
    try:
        code = node.proc.wait(timeout=60)
        assert code != 0
        assert message in node.logs(), node.logs()
    finally:
        node.proc = None
        node.close()


def test_ha_storage_with_raft_is_refused():
    node = TresorServer(extra_config=etcd_ha_block("http://127.0.0.1:1"))
    _refused_at_start(node, 'storage "raft" brings its own high availability')


def test_ha_storage_with_a_data_backend_that_has_its_own_lock_is_refused():
    with PostgresServer() as pg, EtcdServer() as etcd:
        node = TresorServer(storage_block=postgresql_storage_block(pg.url, ha=True) +
                            etcd_ha_block(etcd.url))
        _refused_at_start(node, "has high availability of its own")
