"""DR replication between two clusters of real processes (one node each
here; test_dr_failover.py has the 3-node clusters): set-up through an
activation token, the secondary's data replaced by the primary's and
unsealed with the primary's keys, the stream, what a DR secondary refuses,
promotion with a generated DR operation token and with a batch DR token
made on the primary, and bad input."""
import re
import time

import pytest

from dr_support import (dr_status, enable_primary, operation_token, secondary_token,
                        set_up_pair, wait_caught_up)
from harness import form_raft_cluster, wait_for, close_all


@pytest.fixture(scope="module")
def pair():
    pnodes, pkeys, proot, snodes = set_up_pair()
    yield pnodes[0], pkeys, proot, snodes[0]
    close_all(pnodes + snodes)


def test_status_of_both_sides(pair):
    primary, _, _, secondary = pair
    p, s = dr_status(primary), dr_status(secondary)
    assert p["mode"] == "primary" and p["state"] == "running"
    assert p["known_secondaries"] == ["dr-east"]
    assert p["secondaries"][0]["connection_status"] == "connected"
    assert s["mode"] == "secondary" and s["state"] == "stream-wals"
    assert s["cluster_id"] == p["cluster_id"]
    assert s["primaries"][0]["connection_status"] == "connected"
    assert s["lag_wal"] == 0 and s["resyncs"] >= 1
    both = primary.api("GET", "sys/replication/status").json["data"]
    assert both["dr"]["mode"] == "primary" and both["performance"]["mode"] == "disabled"


def test_writes_stream_to_the_secondary(pair):
    primary, _, root, secondary = pair
    before = dr_status(primary)["last_wal"]
    assert primary.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                       token=root).status == 204
    for i in range(20):
        r = primary.api("POST", f"kv/data/app/{i}", {"data": {"n": i}}, token=root)
        assert r.status == 200, r
    wait_caught_up(primary, secondary)
    assert dr_status(secondary)["last_remote_wal"] >= before + 20

    # The same positions in each side's metrics (a secondary answers
    # sys/metrics: its lag is what its operators watch).
    def gauge(node, name):
        body = node.api("GET", "sys/metrics?format=prometheus", token=root).body
        found = re.findall(r"^" + name + r"(?:\{[^}]*\})? (\S+)$", body, re.M)
        return [float(v) for v in found]

    # (Background writes may move the log between two reads: awaited.)
    wait_for(lambda: gauge(primary, r"vault_\w+_replication_wal_last_wal")
             == [dr_status(primary)["last_wal"]], what="the primary's last_wal gauge")
    wait_for(lambda: gauge(primary, r'tresor_replication_dr_lag_wal\{secondary="dr-east"\}')
             == [0], what="the primary to see the secondary caught up")
    assert gauge(primary, r'tresor_replication_dr_connected\{secondary="dr-east"\}') == [1]
    wait_for(lambda: gauge(secondary, r"vault_\w+_replication_fsm_last_remote_wal")
             == [dr_status(secondary)["last_remote_wal"]], what="the secondary's gauge")
    wait_for(lambda: gauge(secondary, r'tresor_replication_dr_lag_wal\{secondary="dr-east"\}')
             == [0], what="the secondary to see itself caught up")
    assert gauge(secondary, r'tresor_replication_dr_lag_seconds\{secondary="dr-east"\}')


def test_a_dr_secondary_serves_only_replication_health_and_seal(pair):
    _, _, root, secondary = pair
    r = secondary.api("GET", "kv/data/app/1", token=root)
    assert r.status == 400 and r.errors == ["path disabled in replication DR secondary mode"], r
    assert secondary.api("POST", "sys/mounts/other", {"type": "kv"}, token=root).status == 400
    health = secondary.api("GET", "sys/health")
    assert health.status == 472 and health.json["replication_dr_mode"] == "secondary"
    assert secondary.api("GET", "sys/health?drsecondarycode=200").status == 200
    assert secondary.api("GET", "sys/seal-status").status == 200


def test_a_revoked_secondary_is_cut_off(pair):
    primary, _, root, _ = pair
    token = secondary_token(primary, root, "dr-west")
    nodes, _, other_root = form_raft_cluster(1, shares=1, threshold=1)
    other = nodes[0]
    try:
        r = other.api("POST", "sys/replication/dr/secondary/enable", {"token": token},
                      token=other_root)
        assert r.status == 200, r
        wait_for(lambda: dr_status(other).get("state") == "stream-wals", timeout=60,
                 what="the second secondary to stream")
        r = other.api("POST", "sys/replication/dr/secondary/disable",
                      {"dr_operation_token": "hvs.wrong"})
        assert r.status == 403, r
        r = primary.api("POST", "sys/replication/dr/primary/revoke-secondary", {"id": "dr-west"},
                        token=root)
        assert r.status == 204, r
        wait_for(lambda: "revoked" in dr_status(other).get("last_error", ""), timeout=30,
                 what="the revoked secondary to be refused")
        r = primary.api("POST", "sys/replication/dr/primary/revoke-secondary", {"id": "nobody"},
                        token=root)
        assert r.status == 404, r
    finally:
        other.close()


def test_enable_refusals(pair):
    primary, _, root, secondary = pair
    r = primary.api("POST", "sys/replication/dr/secondary/enable", {"token": "x"}, token=root)
    assert r.status == 400 and "is a DR primary" in r.errors[0], r
    r = primary.api("POST", "sys/replication/dr/primary/enable", {}, token=root)
    assert r.status == 400 and "already a DR primary" in r.errors[0], r
    r = primary.api("POST", "sys/replication/dr/primary/secondary-token", {"ttl": "1m"},
                    token=root)
    assert r.status == 400 and r.errors == ["id is required"], r
    r = primary.api("POST", "sys/replication/dr/primary/secondary-token",
                    {"id": "bad id!"}, token=root)
    assert r.status == 400, r
    r = primary.api("POST", "sys/replication/dr/primary/secondary-token",
                    {"id": "dr-east"}, token=root)
    assert r.status == 400 and "already activated" in r.errors[0], r
    r = primary.api("POST", "sys/replication/dr/primary/enable", {"bogus": 1}, token=root)
    assert r.status == 400, r


def test_activation_tokens_are_single_use_and_expire(pair):
    primary, _, root, _ = pair
    nodes, _, other_root = form_raft_cluster(1, shares=1, threshold=1)
    other = nodes[0]
    try:
        expired = secondary_token(primary, root, "dr-late", ttl=1)
        time.sleep(1.5)  # the token's lifetime passing, not a synchronisation
        r = other.api("POST", "sys/replication/dr/secondary/enable", {"token": expired},
                      token=other_root)
        assert r.status == 400 and "expired" in r.errors[0], r
        r = other.api("POST", "sys/replication/dr/secondary/enable", {"token": "trdr1.garbage"},
                      token=other_root)
        assert r.status == 400 and "not a DR activation token" in r.errors[0], r
        r = other.api("POST", "sys/replication/dr/secondary/enable",
                      {"token": expired, "ca_file": "/tmp/ca.pem"}, token=other_root)
        assert r.status == 400 and "ca_file" in r.errors[0], r
        assert dr_status(other)["mode"] == "disabled"
        # Used once by the pair's secondary: a second use is refused.
        token = secondary_token(primary, root, "dr-once")
        # Spend it by hand through a first enable on `other`...
        r = other.api("POST", "sys/replication/dr/secondary/enable", {"token": token},
                      token=other_root)
        assert r.status == 200, r
    finally:
        other.close()
    nodes, _, third_root = form_raft_cluster(1, shares=1, threshold=1)
    third = nodes[0]
    try:
        r = third.api("POST", "sys/replication/dr/secondary/enable", {"token": token},
                      token=third_root)
        assert r.status == 400 and "already used" in r.errors[0], r
        assert dr_status(third)["mode"] == "disabled"
    finally:
        third.close()


def test_promote_with_a_wrong_operation_token_is_refused(pair):
    _, _, _, secondary = pair
    r = secondary.api("POST", "sys/replication/dr/secondary/promote",
                      {"dr_operation_token": "hvs.notatoken"})
    assert r.status == 403, r
    r = secondary.api("POST", "sys/replication/dr/secondary/promote", {})
    assert r.status == 400 and "dr_operation_token is required" in r.errors[0], r
    assert dr_status(secondary)["mode"] == "secondary"


def test_promotion_keeps_data_and_tokens(pair):
    primary, keys, root, secondary = pair
    r = primary.api("POST", "kv/data/last", {"data": {"v": "before-failover"}}, token=root)
    assert r.status == 200
    wait_caught_up(primary, secondary)
    op_token = operation_token(secondary, keys[:2])
    r = secondary.api("POST", "sys/replication/dr/secondary/promote",
                      {"dr_operation_token": op_token})
    assert r.status == 204, r
    wait_for(lambda: secondary.api("GET", "sys/health").status == 200, timeout=30,
             what="the promoted cluster to serve")
    assert dr_status(secondary)["mode"] == "primary"
    # The primary's root token works on the promoted cluster, with its data.
    r = secondary.api("GET", "kv/data/last", token=root)
    assert r.status == 200 and r.json["data"]["data"] == {"v": "before-failover"}, r
    r = secondary.api("POST", "kv/data/after", {"data": {"v": 1}}, token=root)
    assert r.status == 200, r
    # The operation token was single use.
    r = secondary.api("POST", "sys/replication/dr/secondary/promote",
                      {"dr_operation_token": op_token})
    assert r.status == 400, r


def test_a_quiet_old_primary_follows_the_new_one_without_a_wipe(pair):
    primary, keys, root, promoted = pair  # promoted by the test above
    assert dr_status(primary)["mode"] == "primary"
    assert primary.api("POST", "sys/replication/dr/primary/demote", {}, token=root).status == 204
    r = primary.api("POST", "kv/data/split-brain", {"data": {"v": 1}}, token=root)
    assert r.status == 400 and r.errors == ["path disabled in replication DR secondary mode"], r
    assert dr_status(primary)["state"] == "idle"
    token = secondary_token(promoted, root, "old-primary")
    # The demoted primary wrote nothing after the promoted cluster's last
    # entry from it: its history is a prefix of the new primary's.
    r = primary.api("POST", "sys/replication/dr/secondary/update-primary",
                    {"dr_operation_token": operation_token(primary, keys[:2]), "token": token})
    assert r.status == 204, r
    wait_caught_up(promoted, primary)
    status = dr_status(primary)
    assert status["resyncs"] == 0, status
    assert status["secondary_id"] == "old-primary"


def test_a_secondary_too_far_behind_resyncs():
    """The primary keeps only log_retained_entries entries: a secondary that
    was down while more were written catches up through a resync."""
    pnodes, pkeys, proot, snodes = set_up_pair(log_retained_entries=5)
    primary, secondary = pnodes[0], snodes[0]
    try:
        secondary.kill()
        assert primary.api("POST", "sys/mounts/kv", {"type": "kv"}, token=proot).status == 204
        for i in range(20):
            assert primary.api("PUT", f"kv/k{i}", {"v": i}, token=proot).status == 204
        secondary.start()
        secondary.unseal(pkeys[:2])
        wait_caught_up(primary, secondary)
        # The restarted node's client counts its own resyncs: without the
        # trim it would have streamed on (0).
        assert dr_status(secondary)["resyncs"] == 1
    finally:
        close_all(pnodes + snodes)
