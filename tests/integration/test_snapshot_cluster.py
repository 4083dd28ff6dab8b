"""Snapshots on a 3-node raft cluster: a restore sent to a standby reaches
the active and every node converges on it; a standby redirects a save, or
serves its own state with ?stale=true, also when the leader is dead."""
import pytest

from harness import active_node, form_raft_cluster, wait_for, close_all
from snapshot_support import enable_kv1, put_secrets, read_secret, records, restore, save


@pytest.fixture
def cluster():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    yield nodes, keys, root
    close_all(nodes)


def _own_state(node, root):
    """This node's own copy of the state (stale save), as records."""
    status, archive, _ = save(node, root, stale=True, follow=False)
    assert status == 200, archive
    return records(archive)


def test_a_restore_through_a_standby_converges_on_every_node(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    enable_kv1(active, root)
    put_secrets(active, root, "kv", 20, "before")
    status, archive, _ = save(active, root)
    assert status == 200
    put_secrets(active, root, "kv", 20, "after")
    put_secrets(active, root, "kv", 1, "x", prefix="extra")

    # The standby answers 307 to the active; the client re-sends it there.
    status, _, headers = restore(standby, root, archive, follow=False)
    assert status == 307 and headers["location"].startswith(active.address)
    status, body, _ = restore(standby, root, archive)
    assert status == 204, body

    assert [read_secret(standby, root, f"kv/k{i}") for i in range(20)] == ["before"] * 20
    assert read_secret(standby, root, "kv/extra0") is None
    expected = _own_state(active, root)
    for n in nodes:
        wait_for(lambda n=n: _own_state(n, root) == expected, timeout=30,
                 what="every node to hold the restored state")
        assert n.seal_status()["sealed"] is False


def test_a_standby_redirects_a_save_and_serves_a_stale_one_when_the_leader_is_dead(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    standbys = [n for n in nodes if n is not active]
    enable_kv1(active, root)
    put_secrets(active, root, "kv", 5, "saved-stale")

    status, _, headers = save(standbys[0], root, follow=False)
    assert status == 307 and headers["location"].startswith(active.address)

    # A stale save is as fresh as this node's copy: let it catch up first.
    secrets = lambda state: sum(1 for k in state if k.startswith("logical/"))  # noqa: E731
    wait_for(lambda: secrets(_own_state(standbys[0], root)) >= 5, timeout=30,
             what="the standby to apply the writes")
    active.kill()
    status, archive, headers = save(standbys[0], root, stale=True, follow=False)
    assert status == 200, archive
    assert int(headers["x-tresor-last-contact"]) >= 0
    assert headers["x-tresor-known-leader"] in ("true", "false")
    assert int(headers["x-tresor-snapshot-index"]) > 0
    assert secrets(records(archive)) >= 5
