"""Mutual TLS on the cluster port (docs/cluster-security.md, "TLS") on real
processes: the first active node creates the cluster CA, every node joins
and replicates over TLS, the CA record is listed without its key and is
nowhere in plaintext on disk, and a rotation keeps the cluster serving:
the new CA is trusted at once, signs only after the activation delay, and a
node restarted after that reconnects with a certificate of the new CA.
Bad input: a second rotation during the first (400), raft-only endpoints on
a server without raft (400); the table rows are in test_bad_input.py.
"""
import os

from harness import DevServer, ROOT_TOKEN, active_node, form_raft_cluster, wait_for

ACTIVATION_DELAY = 30  # raft::kCaActivationDelay


def cas(node, root):
    r = node.api("GET", "sys/storage/raft/cluster-tls", token=root)
    assert r.status == 200, r
    return r.json["data"]["cas"]


def assert_no_plaintext_key(nodes):
    for n in nodes:
        for folder, _, files in os.walk(n.data_dir):
            for name in files:
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                assert b"PRIVATE KEY" not in data, os.path.join(folder, name)
                assert b"tresor-cluster-ca" not in data, os.path.join(folder, name)


def write_through_every_node(nodes, root, key, value):
    for n in nodes:
        r = n.api("PUT", f"secret/{key}-{nodes.index(n)}", {"v": value}, token=root)
        assert r.status in (200, 204), (n.address, r)


def test_ca_is_created_kept_encrypted_and_rotated_without_downtime():
    nodes, keys, root = form_raft_cluster(3)
    try:
        first = nodes[0]
        r = first.api("POST", "sys/mounts/secret", {"type": "kv"}, token=root)
        assert r.status in (200, 204), r
        listed = cas(first, root)
        assert len(listed) == 1 and listed[0]["signing"] is True
        r = first.api("GET", "sys/storage/raft/cluster-tls", token=root)
        assert "PRIVATE KEY" not in r.body and "key" not in r.json["data"]["cas"][0]
        # Joining and replicating went over TLS: every node has the writes.
        write_through_every_node(nodes, root, "before", "1")
        assert_no_plaintext_key(nodes)

        active = active_node(nodes)
        r = active.api("POST", "sys/storage/raft/cluster-tls/rotate", {}, token=root)
        assert r.status == 200, r
        rotated = r.json["data"]["cas"]
        assert len(rotated) == 2
        assert rotated[0]["signing"] is False and rotated[1]["signing"] is True
        assert rotated[1]["serial_number"] == listed[0]["serial_number"]
        # A second rotation before the first one's CA signs is refused.
        again = active.api("POST", "sys/storage/raft/cluster-tls/rotate", {}, token=root)
        assert again.status == 400 and "still in progress" in again.json["errors"][0], again
        write_through_every_node(nodes, root, "during", "2")

        wait_for(lambda: cas(active, root)[0]["signing"], timeout=ACTIVATION_DELAY + 15,
                 interval=0.5, what="the new CA to sign node certificates")
        # Every node re-reads the record within 5 s; then a standby restarted
        # from scratch must connect with a certificate of the new CA only.
        standby = next(n for n in nodes if n is not active)
        standby.kill()
        write_through_every_node([n for n in nodes if n is not standby], root, "while-down", "3")
        standby.start()
        standby.unseal(keys[:2])
        write_through_every_node(nodes, root, "after", "4")
        # It caught up over the cluster port, with its new-CA certificate:
        # its own applied index reaches the active's.
        target = active.api("GET", "sys/leader").json["raft_applied_index"]
        wait_for(lambda: standby.api("GET", "sys/leader").json["raft_applied_index"] >= target,
                 timeout=60, what="the restarted node to catch up over TLS")
        assert_no_plaintext_key(nodes)
    finally:
        for n in nodes:
            n.stop()


def test_cluster_tls_endpoints_need_raft_storage():
    with DevServer() as dev:
        for method, path in (("GET", "sys/storage/raft/cluster-tls"),
                             ("POST", "sys/storage/raft/cluster-tls/rotate")):
            r = dev.api(method, path, {} if method == "POST" else None, token=ROOT_TOKEN)
            assert r.status == 400, (path, r)
            assert 'storage "raft"' in r.json["errors"][0], r
        assert dev.api("GET", "sys/health").status == 200
