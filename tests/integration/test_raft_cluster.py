"""Integrated raft storage and high availability on real processes: a
3-node cluster formed by sys/storage/raft/join, standbys forwarding reads
and writes, 307 with X-Vault-No-Request-Forwarding, failover after kill -9
of the active under a concurrent writer (every acknowledged write must be
readable afterwards), the killed node rejoining, step-down, and bad input
on the raft endpoints."""
import http.client
import threading

import pytest

from harness import TresorServer, active_node, form_raft_cluster, voters, wait_for, close_all


@pytest.fixture(scope="module")
def cluster():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    first = nodes[0]
    assert first.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                     token=root).status == 204
    status = nodes[1].seal_status()
    assert status["initialized"] is True and status["t"] == 2 and status["n"] == 3
    yield nodes, keys, root
    close_all(nodes)


def test_standbys_report_the_active_and_answer_health_with_429(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    assert active is not None
    for n in nodes:
        if n is active:
            continue
        leader = n.api("GET", "sys/leader").json
        assert leader["ha_enabled"] is True and leader["is_self"] is False
        assert leader["leader_address"] == active.address
        assert n.api("GET", "sys/health").status == 429
        assert n.api("GET", "sys/health?standbyok=true").status == 200
        assert n.api("GET", "sys/health").json["standby"] is True
    assert active.api("GET", "sys/health").status == 200


def test_standbys_forward_reads_and_writes(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    standbys = [n for n in nodes if n is not active]
    r = standbys[0].api("POST", "kv/data/forwarded", {"data": {"via": "standby"}}, token=root)
    assert r.status == 200, r
    r = standbys[1].api("GET", "kv/data/forwarded", token=root)
    assert r.status == 200, r
    assert r.json["data"]["data"] == {"via": "standby"}
    # Errors come back as the active gave them.
    assert standbys[0].api("GET", "kv/data/forwarded", token="bogus").status == 403
    # A standby relays the body unparsed: the active refuses bad JSON, and
    # nothing is written.
    bad = standbys[0].api("POST", "kv/data/forwarded", raw=b'{"data": {"via": ', token=root)
    assert bad.status == 400, bad
    assert bad.json["errors"][0].startswith("failed to parse JSON input"), bad.json
    r = active.api("GET", "kv/data/forwarded", token=root)
    assert r.json["data"]["data"] == {"via": "standby"}


def test_no_forwarding_header_redirects_to_the_active(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    conn = http.client.HTTPConnection("127.0.0.1", standby.port, timeout=30)
    conn.request("GET", "/v1/kv/data/forwarded?version=1",
                 headers={"X-Vault-Token": root, "X-Vault-No-Request-Forwarding": "true"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 307
    assert resp.getheader("Location") == f"{active.address}/v1/kv/data/forwarded?version=1"


def test_configuration_and_autopilot_list_every_node(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    servers = voters(active, root)
    assert len(servers) == 3
    assert sum(1 for s in servers if s["leader"]) == 1
    state = active.api("GET", "sys/storage/raft/autopilot/state", token=root)
    assert state.status == 200, state
    assert state.json["data"]["failure_tolerance"] == 1
    assert state.json["data"]["healthy"] is True
    assert len(state.json["data"]["voters"]) == 3
    leader_index = active.api("GET", "sys/leader").json["raft_committed_index"]
    for name, server in state.json["data"]["servers"].items():
        assert server["healthy"] is True, (name, server)
        assert server["node_status"] == "alive"
        assert server["last_contact"].endswith("s"), server  # "0s", "12ms", "1.5s"
        assert 0 < server["last_index"] <= leader_index + 5, server


def test_autopilot_reports_a_dead_voter_and_its_recovery(cluster):
    nodes, keys, root = cluster
    active = active_node(nodes)
    victim = next(n for n in nodes if n is not active)
    victim_name = None
    for name, server in active.api("GET", "sys/storage/raft/autopilot/state",
                                   token=root).json["data"]["servers"].items():
        if server["address"] == f"127.0.0.1:{victim.cluster_port}":
            victim_name = name
    assert victim_name is not None

    def state():
        return active.api("GET", "sys/storage/raft/autopilot/state", token=root).json["data"]

    victim.kill()
    # Vault's threshold: unhealthy once not heard from for 10 s.
    wait_for(lambda: state()["servers"][victim_name]["healthy"] is False, timeout=30,
             what="the dead voter to be reported unhealthy")
    current = state()
    assert current["failure_tolerance"] == 0 and current["healthy"] is False
    assert current["servers"][victim_name]["node_status"] == "failed"
    victim.start()
    victim.unseal(keys[:2])
    wait_for(lambda: state()["healthy"] is True and state()["failure_tolerance"] == 1,
             timeout=60, what="the restarted voter to be healthy again")


def test_bad_input_on_raft_endpoints_changes_nothing(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    # A node that is already initialised cannot join.
    r = active.api("POST", "sys/storage/raft/join", {"leader_api_addr": active.address})
    assert r.status == 400 and "already initialized" in r.errors[0]
    r = active.api("POST", "sys/storage/raft/join", {})
    assert r.status == 400 and "leader_api_addr" in r.errors[0]
    r = active.api("POST", "sys/storage/raft/remove-peer", {"server_id": "no-such-node"},
                   token=root)
    assert r.status == 400 and "no-such-node" in r.errors[0]
    r = active.api("POST", "sys/storage/raft/bootstrap/answer",
                   {"server_id": "stranger", "cluster_addr": "127.0.0.1:1", "answer": "AAAA"})
    assert r.status == 400 and "no pending join challenge" in r.errors[0]
    assert len(voters(active, root)) == 3


def test_step_down_while_sealed_or_alone_is_refused_and_the_node_keeps_serving():
    with TresorServer(storage="raft") as single:
        init = single.init(1, 1)
        root = init["root_token"]
        r = single.api("PUT", "sys/step-down", token=root)
        assert r.status == 503 and "sealed" in r.errors[0], r
        single.unseal(init["keys"])
        wait_for(lambda: single.api("GET", "sys/leader").json["is_self"], what="active")
        r = single.api("PUT", "sys/step-down", token=root)
        assert r.status == 400 and "only voter" in r.errors[0], r
        assert single.api("GET", "sys/leader").json["is_self"] is True
        assert single.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204


def test_join_to_a_wrong_address_is_refused_and_the_node_stays_new():
    with TresorServer(storage="raft") as lonely:
        r = lonely.api("POST", "sys/storage/raft/join", {"leader_api_addr": "http://127.0.0.1:1"})
        assert r.status == 400 and "could not join" in r.errors[0]
        assert lonely.seal_status()["initialized"] is False
        r = lonely.api("POST", "sys/storage/raft/join", {"leader_api_addr": "not-a-url"})
        assert r.status == 400


def test_a_forged_answer_cannot_join(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    r = active.api("POST", "sys/storage/raft/bootstrap/challenge",
                   {"server_id": "intruder", "cluster_addr": "127.0.0.1:1"})
    assert r.status == 200, r
    r = active.api("POST", "sys/storage/raft/bootstrap/answer",
                   {"server_id": "intruder", "cluster_addr": "127.0.0.1:1",
                    "answer": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    assert r.status == 403
    assert len(active.api("GET", "sys/storage/raft/configuration",
                          token=root).json["data"]["config"]["servers"]) == 3


def test_failover_after_kill_keeps_every_acknowledged_write(cluster):
    nodes, keys, root = cluster
    active = active_node(nodes)
    standbys = [n for n in nodes if n is not active]
    acknowledged = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            for target in standbys:
                try:
                    r = target.api("POST", f"kv/data/w{i}", {"data": {"i": i}}, token=root,
                                   timeout=10)
                except OSError:
                    continue
                if r.status == 200:
                    acknowledged.append(i)
                    break
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    wait_for(lambda: len(acknowledged) >= 20, timeout=60)
    active.kill()
    killed_at = len(acknowledged)
    wait_for(lambda: active_node(standbys) is not None, timeout=30)
    wait_for(lambda: len(acknowledged) >= killed_at + 20, timeout=60)
    stop.set()
    thread.join()
    new_active = active_node(standbys)
    for i in acknowledged:
        r = new_active.api("GET", f"kv/data/w{i}", token=root)
        assert r.status == 200 and r.json["data"]["data"] == {"i": i}, (i, r)
    # The killed node restarts sealed, is unsealed, and rejoins as a standby
    # that has every write.
    active.start()
    active.unseal(keys[:2])
    wait_for(lambda: active.api("GET", "sys/health").status == 429, timeout=60)
    # It forwards once it has caught up with the new active's record.
    wait_for(lambda: active.api("GET", "sys/leader").json["leader_address"] == new_active.address,
             timeout=60)
    last = acknowledged[-1]
    r = active.api("GET", f"kv/data/w{last}", token=root)
    assert r.status == 200 and r.json["data"]["data"] == {"i": last}


def test_step_down_moves_the_active_node(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    r = active.api("PUT", "sys/step-down", token=root)
    assert r.status == 204, r
    wait_for(lambda: active_node(nodes) not in (None, active), timeout=30)
    new_active = active_node(nodes)
    # Sent to a standby, step-down is forwarded and moves the active again.
    standby = next(n for n in nodes if n is not new_active)
    r = standby.api("PUT", "sys/step-down", token=root)
    assert r.status == 204, r
    wait_for(lambda: active_node(nodes) not in (None, new_active), timeout=30,
             what="step-down through a standby to move the active")
    new_active = active_node(nodes)
    r = active.api("GET", "kv/data/forwarded", token=root)
    assert r.status == 200
    # Every node, the first one included, is listed by its node_id.
    names = [s["node_id"] for s in voters(new_active, root)]
    assert not any(name.isdigit() for name in names), names
    assert new_active.api("GET", "sys/health").status == 200


def test_a_stranger_on_the_cluster_port_is_refused(cluster):
    """docs/cluster-security.md: raft connections must prove the cluster key;
    a process that cannot is disconnected and changes nothing."""
    import os
    import socket
    import struct
    nodes, _, root = cluster
    active = active_node(nodes)
    address = f"127.0.0.1:{active.cluster_port}".encode()
    forged_hello = (b"TRSRAFT1" + struct.pack(">Q", 424242) + struct.pack(">H", len(address))
                    + address + os.urandom(32))
    for payload in (b"GET / HTTP/1.1\r\n\r\n", forged_hello + os.urandom(32)):
        with socket.create_connection(("127.0.0.1", active.cluster_port), timeout=30) as s:
            s.sendall(payload)
            s.settimeout(30)
            try:
                while s.recv(4096):
                    pass  # the acceptor's half of the handshake, then the close
            except ConnectionResetError:
                pass
    servers = active.api("GET", "sys/storage/raft/configuration",
                         token=root).json["data"]["config"]["servers"]
    assert len(servers) == 3
    assert active.api("POST", "kv/data/after-stranger", {"data": {"ok": 1}},
                      token=root).status == 200
