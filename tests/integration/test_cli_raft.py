"""The raft and HA commands of the tresor CLI (docs/cli.md) on a real 3-node
cluster: `operator raft join` forms it (then `operator unseal`), list-peers
shows three voters and one leader, autopilot state is healthy with failure
tolerance 1, members lists three nodes with one active, step-down moves the
active node, remove-peer drops a node from the peer set; and the failures:
remove-peer of an unknown id and join to a wrong address, both exit 2 with
the server's message."""
import json
import re

import pytest

from harness import TresorServer, active_node, wait_for, close_all


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def peers(node, token):
    """list-peers -format=json: the servers of the raw response."""
    return json.loads(ok(node.cli("operator", "raft", "list-peers", "-format=json",
                                  token=token)))["data"]["config"]["servers"]


@pytest.fixture(scope="module")
def cluster():
    nodes = [TresorServer(storage="raft") for _ in range(3)]
    for n in nodes:
        n.start()
    first = nodes[0]
    init = first.init(3, 2)
    keys, root = init["keys"], init["root_token"]
    first.unseal(keys[:2])
    wait_for(lambda: first.api("GET", "sys/leader").json["is_self"], timeout=30,
             what="the first node to become active")
    for n in nodes[1:]:
        joined = n.cli("operator", "raft", "join", first.address)
        assert re.search(r"^Joined\s+true$", ok(joined), re.M), joined.stdout
        status = n.seal_status()
        assert status["initialized"] is True and status["sealed"] is True
        for key in keys[:2]:
            ok(n.cli("operator", "unseal", key))
        assert n.seal_status()["sealed"] is False
    yield nodes, root
    close_all(nodes)


def test_join_formed_a_cluster_of_three_voters_with_one_leader(cluster):
    nodes, root = cluster
    wait_for(lambda: sum(1 for s in peers(nodes[0], root) if s["voter"]) == 3, timeout=60,
             what="both joined nodes to be promoted to voters")
    table = ok(nodes[1].cli("operator", "raft", "list-peers", token=root))
    lines = table.splitlines()
    assert re.match(r"Node\s+Address\s+State\s+Voter$", lines[0]), table
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 3, table
    assert sorted(row[2] for row in rows) == ["follower", "follower", "leader"], table
    assert all(row[3] == "true" for row in rows), table
    addresses = {row[1] for row in rows}
    assert addresses == {f"127.0.0.1:{n.cluster_port}" for n in nodes}, table


def test_autopilot_state_is_healthy_with_failure_tolerance_one(cluster):
    nodes, root = cluster
    wait_for(lambda: sum(1 for s in peers(nodes[0], root) if s["voter"]) == 3, timeout=60,
             what="three voters")
    pretty = ok(nodes[0].cli("operator", "raft", "autopilot", "state", token=root))
    assert re.search(r"^Healthy:\s+true$", pretty, re.M), pretty
    assert re.search(r"^Failure Tolerance:\s+1$", pretty, re.M), pretty
    assert len(re.findall(r"^      Status:\s+(leader|voter)$", pretty, re.M)) == 3, pretty
    state = json.loads(ok(nodes[2].cli("operator", "raft", "autopilot", "state",
                                       "-format=json", token=root)))
    assert state["healthy"] is True and state["failure_tolerance"] == 1
    assert len(state["voters"]) == 3 and state["leader"] in state["voters"]


def test_members_lists_three_nodes_with_one_active(cluster):
    nodes, root = cluster
    active = active_node(nodes)
    assert active is not None
    table = ok(nodes[1].cli("operator", "members", token=root))
    lines = table.splitlines()
    assert re.match(r"Host Name\s+API Address\s+Cluster Address\s+Active Node\s+Version$",
                    lines[0]), table
    assert len(lines) == 2 + 3, table
    assert sum(1 for line in lines[2:] if re.search(r"\strue\s", line)) == 1, table
    members = json.loads(ok(nodes[2].cli("operator", "members", "-format=json",
                                         token=root)))["Nodes"]
    assert len(members) == 3
    actives = [m for m in members if m["active_node"]]
    assert len(actives) == 1 and actives[0]["api_address"] == active.address


def test_step_down_moves_the_active_node(cluster):
    nodes, root = cluster
    active = active_node(nodes)
    assert active is not None
    out = ok(active.cli("operator", "step-down", token=root))
    assert out == f"Success! Stepped down: {active.address}\n"
    new_active = wait_for(lambda: active_node([n for n in nodes if n is not active]), timeout=30,
                          what="another node to become active")
    members = json.loads(ok(active.cli("operator", "members", "-format=json",
                                       token=root)))["Nodes"]
    assert [m["api_address"] for m in members if m["active_node"]] == [new_active.address]


def test_step_down_without_a_token_fails_with_exit_two(cluster):
    nodes, _ = cluster
    result = nodes[0].cli("operator", "step-down", token="not-a-token")
    assert result.returncode == 2, result
    assert "Error stepping down: Error making API request." in result.stderr
    assert "Code: 403" in result.stderr


def test_remove_peer_of_an_unknown_id_fails_clearly(cluster):
    nodes, root = cluster
    result = nodes[0].cli("operator", "raft", "remove-peer", "no-such-node", token=root)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Error removing the peer from raft cluster" in result.stderr
    assert 'no raft peer with server_id "no-such-node"' in result.stderr
    assert len(peers(nodes[0], root)) == 3


def test_remove_peer_removes_a_node_from_the_peer_set(cluster):
    """Runs last in this module: it shrinks the cluster to two nodes."""
    nodes, root = cluster
    active = active_node(nodes)
    assert active is not None
    # A node that joined: the server records the names of joined nodes, but
    # not the first node's, so after a step-down the new active lists the
    # first node under its numeric raft id, which remove-peer does not accept
    # (a server-side gap, reported; the CLI passes the id through as given).
    gone = next(n for n in nodes[1:] if n is not active)
    gone_id = next(s["node_id"] for s in peers(active, root)
                   if s["address"] == f"127.0.0.1:{gone.cluster_port}")
    # Replace a failed node: it is stopped first, so that it cannot call
    # elections after it leaves the configuration.
    assert gone.stop() == 0
    out = ok(active.cli("operator", "raft", "remove-peer", gone_id, token=root))
    assert out == "Peer removed successfully!\n"
    remaining = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(peers(active, root)),
                         timeout=30, what="the removed node to leave the configuration")
    assert gone_id not in {s["node_id"] for s in remaining}
    table = ok(active.cli("operator", "raft", "list-peers", token=root))
    assert gone_id not in table and len(table.splitlines()) == 2 + 2, table


def test_join_to_a_wrong_address_fails_clearly():
    with TresorServer(storage="raft") as lonely:
        result = lonely.cli("operator", "raft", "join", "http://127.0.0.1:1")
        assert result.returncode == 2, result
        assert result.stdout == ""
        assert "Error joining the node to the Raft cluster" in result.stderr
        assert "could not join the cluster at http://127.0.0.1:1" in result.stderr
        result = lonely.cli("operator", "raft", "join", "not-a-url")
        assert result.returncode == 2, result
        assert "leader_api_addr must be a URL" in result.stderr
        assert lonely.seal_status()["initialized"] is False
        usage = lonely.cli("operator", "raft", "join")
        assert usage.returncode == 2
        assert "Not enough arguments (expected 1, got 0)" in usage.stderr
