"""Helpers for the DR replication tests: clusters of real processes, the
primary/secondary set-up, and the DR operation token flow."""
import base64

from harness import form_raft_cluster, wait_for


def dr_status(node):
    r = node.api("GET", "sys/replication/dr/status")
    assert r.status == 200, r
    return r.json["data"]


def enable_primary(node, root, **options):
    r = node.api("POST", "sys/replication/dr/primary/enable", options, token=root)
    assert r.status == 204, r


def secondary_token(primary, root, secondary_id, ttl="30m"):
    r = primary.api("POST", "sys/replication/dr/primary/secondary-token",
                    {"id": secondary_id, "ttl": ttl}, token=root)
    assert r.status == 200, r
    return r.json["wrap_info"]["token"]


def wait_caught_up(primary, secondary, timeout=60):
    """Waits until the secondary's log stands where the primary's does."""
    def caught_up():
        p, s = dr_status(primary), dr_status(secondary)
        return (s.get("state") == "stream-wals" and s["last_remote_wal"] == p["last_wal"]
                and s["merkle_root"] == p["merkle_root"])
    wait_for(caught_up, timeout=timeout, what="the secondary to catch up with the primary")


def wait_sealed(node, timeout=60):
    wait_for(lambda: node.seal_status()["sealed"], timeout=timeout,
             what="the secondary to seal itself once the primary's data arrived")


def operation_token(secondary, primary_keys):
    """A DR operation token from the secondary's generate-operation-token
    flow with the primary's unseal keys."""
    base = "sys/replication/dr/secondary/generate-operation-token"
    r = secondary.api("PUT", f"{base}/attempt", {})
    assert r.status == 200, r
    otp, nonce = r.json["otp"], r.json["nonce"]
    for key in primary_keys:
        r = secondary.api("PUT", f"{base}/update", {"key": key, "nonce": nonce})
        assert r.status == 200, r
    assert r.json["complete"] is True, r.json
    text = r.json["encoded_token"]
    encoded = base64.b64decode(text + "=" * (-len(text) % 4))  # unpadded, as Vault's
    return bytes(a ^ b for a, b in zip(encoded, otp.encode())).decode()


def set_up_pair(primary_nodes=1, secondary_nodes=1, **primary_options):
    """A primary cluster and a secondary cluster replicating from it, the
    secondary unsealed with the primary's keys. Returns (primary nodes,
    primary keys, primary root, secondary nodes)."""
    pnodes, pkeys, proot = form_raft_cluster(primary_nodes, shares=3, threshold=2)
    snodes, _, sroot = form_raft_cluster(secondary_nodes, shares=3, threshold=2)
    enable_primary(pnodes[0], proot, **primary_options)
    token = secondary_token(pnodes[0], proot, "dr-east")
    r = snodes[0].api("POST", "sys/replication/dr/secondary/enable", {"token": token},
                      token=sroot)
    assert r.status == 200, r
    assert "replaced by the primary" in r.json["warnings"][0]
    for n in snodes:
        wait_sealed(n)
        n.unseal(pkeys[:2])
    wait_caught_up(pnodes[0], snodes[0])
    return pnodes, pkeys, proot, snodes
