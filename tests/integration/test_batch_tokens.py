"""Batch tokens on real processes: docs/tokens.md, "Batch tokens".

On a -dev server through hvac 0.11.2: a batch token is created and used,
shows Vault's batch shape in lookups, cannot be renewed, revoked or create
tokens, stops working when its parent is revoked or its TTL ends, and a
tampered one is a 403.

On a 3-node raft cluster: batch tokens made through the active node and
through a standby are accepted on every node; after the active is killed,
the new active accepts the tokens made before, and a batch child whose
parent is revoked after the failover is refused everywhere. On a one-node
server, a batch token survives a restart (the key is stored).
"""
import hvac
import pytest

from harness import ROOT_TOKEN, TresorServer, active_node, form_raft_cluster, wait_for, close_all
from hvac_support import client

READ_POLICY = 'path "secret/data/batch/*" {\n  capabilities = ["read"]\n}\n'
# For the service tokens that create batch children.
CREATE_POLICY = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n'


@pytest.fixture(scope="module")
def root_client(dev):
    root = client(dev, ROOT_TOKEN)
    root.sys.create_or_update_policy(name="batch-reader", policy=READ_POLICY)
    root.sys.create_or_update_policy(name="creator", policy=CREATE_POLICY)
    root.secrets.kv.v2.create_or_update_secret(path="batch/app", secret={"k": "v"})
    return root


def create_batch(c, **kwargs):
    return c.auth.token.create(type="batch", **kwargs)["auth"]


def test_batch_token_is_used_and_looks_like_vaults(root_client, dev):
    auth = create_batch(root_client, policies=["batch-reader"], ttl="20m", meta={"job": "7"})
    token = auth["client_token"]
    assert token.startswith("hvb.")
    assert auth["token_type"] == "batch" and auth["accessor"] == ""
    assert auth["renewable"] is False and auth["lease_duration"] == 1200
    batch = client(dev, token)
    assert batch.secrets.kv.v2.read_secret_version(path="batch/app")["data"]["data"] == {"k": "v"}
    data = batch.auth.token.lookup_self()["data"]
    assert data["type"] == "batch" and data["id"] == token and data["accessor"] == ""
    assert data["policies"] == ["batch-reader", "default"]
    assert data["meta"] == {"job": "7"} and data["renewable"] is False
    assert 0 < data["ttl"] <= 1200
    assert root_client.auth.token.lookup(token)["data"]["type"] == "batch"
    # It reads nothing else.
    with pytest.raises(hvac.exceptions.Forbidden):
        batch.secrets.kv.v2.read_secret_version(path="other")


def test_batch_token_cannot_renew_revoke_or_create(root_client, dev):
    token = create_batch(root_client, policies=["batch-reader"])["client_token"]
    batch = client(dev, token)
    for call in (lambda: batch.auth.token.renew_self(),
                 lambda: root_client.auth.token.renew(token)):
        with pytest.raises(hvac.exceptions.InvalidRequest) as refused:
            call()
        assert "batch tokens cannot be renewed" in str(refused.value)
    for call in (lambda: root_client.auth.token.revoke(token),
                 lambda: batch.auth.token.revoke_self(),
                 lambda: root_client.auth.token.revoke_and_orphan_children(token)):
        with pytest.raises(hvac.exceptions.InvalidRequest) as refused:
            call()
        assert "batch tokens cannot be revoked" in str(refused.value)
    # Still usable after all that.
    assert batch.auth.token.lookup_self()["data"]["type"] == "batch"


def test_batch_token_has_no_cubbyhole(root_client, dev):
    token = create_batch(root_client, policies=["batch-reader"])["client_token"]
    for method, path, body in [("POST", "cubbyhole/x", {"a": "b"}), ("GET", "cubbyhole/x", None)]:
        r = dev.api(method, path, body, token=token)
        assert r.status == 400 and "only supported by \"service\" type tokens" in r.errors[0], r


def test_batch_token_with_create_rights_is_refused_children(root_client, dev):
    token = create_batch(root_client, policies=["creator"])["client_token"]
    r = dev.api("POST", "auth/token/create", {"policies": ["creator"]}, token=token)
    assert r.status == 400, r
    assert r.errors == ["batch tokens cannot create more tokens"]


def test_revoking_the_parent_invalidates_a_batch_child(root_client, dev):
    parent = root_client.auth.token.create(policies=["batch-reader", "creator"], ttl="1h")["auth"]
    child = create_batch(client(dev, parent["client_token"]),
                         policies=["batch-reader"])["client_token"]
    orphan = create_batch(root_client, policies=["batch-reader"], no_parent=True)["client_token"]
    assert dev.api("GET", "secret/data/batch/app", token=child).status == 200
    root_client.auth.token.revoke(parent["client_token"])
    assert dev.api("GET", "secret/data/batch/app", token=child).status == 403
    assert dev.api("GET", "secret/data/batch/app", token=orphan).status == 200


def test_batch_token_expires(root_client, dev):
    # Creation times are whole seconds: a 3 s token has at least 2 s left.
    token = create_batch(root_client, policies=["batch-reader"], ttl="3s")["client_token"]
    assert dev.api("GET", "secret/data/batch/app", token=token).status == 200
    wait_for(lambda: dev.api("GET", "secret/data/batch/app", token=token).status == 403,
             timeout=15, what="the batch token to expire")


def test_tampered_batch_token_is_403(root_client, dev):
    token = create_batch(root_client, policies=["batch-reader"])["client_token"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    for bad in (tampered, token[:-2], "hvb.", "hvb.!!!!", token + "AAAA"):
        assert dev.api("GET", "secret/data/batch/app", token=bad).status == 403, bad[:12]
        r = dev.api("POST", "auth/token/lookup", {"token": bad}, token=ROOT_TOKEN)
        assert r.status == 403 and r.errors == ["bad token"], r
    assert dev.api("GET", "secret/data/batch/app", token=token).status == 200
    assert token[4:40] not in dev.logs()  # tokens never reach the log


def test_batch_token_survives_a_restart():
    with TresorServer() as server:
        init = server.init(1, 1)
        server.unseal(init["keys"])
        root = init["root_token"]
        token = server.api("POST", "auth/token/create", {"type": "batch", "policies": ["x"]},
                           token=root).json["auth"]["client_token"]
        server.restart()
        server.unseal(init["keys"])
        wait_for(lambda: server.api("GET", "sys/leader").json["is_self"], timeout=30,
                 what="the restarted node to become active")
        r = server.api("GET", "auth/token/lookup-self", token=token)
        assert r.status == 200, r
        assert r.json["data"]["type"] == "batch"


@pytest.fixture(scope="module")
def cluster():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    first = nodes[0]
    for name, policy in (("batch-reader", READ_POLICY), ("creator", CREATE_POLICY)):
        assert first.api("PUT", f"sys/policy/{name}", {"policy": policy},
                         token=root).status == 204
    assert first.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                     token=root).status == 204
    assert first.api("POST", "secret/data/batch/app", {"data": {"k": "v"}},
                     token=root).status == 200
    yield nodes, keys, root
    close_all(nodes)


def readable_everywhere(nodes, token):
    """Whether every running node answers a read with `token` (a standby
    forwards it to the active)."""
    return all(n.api("GET", "secret/data/batch/app", token=token).status == 200
               for n in nodes if n.proc is not None)


def test_batch_tokens_work_on_every_node_and_after_failover(cluster):
    nodes, _, root = cluster
    active = active_node(nodes)
    assert active is not None
    standbys = [n for n in nodes if n is not active]

    def create(node, token=root, **body):
        r = node.api("POST", "auth/token/create",
                     {"type": "batch", "policies": ["batch-reader"], **body}, token=token)
        assert r.status == 200, r
        return r.json["auth"]["client_token"]

    on_active = create(active, no_parent=True)
    via_standby = create(standbys[0], no_parent=True)
    parent = active.api("POST", "auth/token/create", {"policies": ["batch-reader", "creator"]},
                        token=root).json["auth"]["client_token"]
    child = create(standbys[1], token=parent)
    for token in (on_active, via_standby, child):
        assert readable_everywhere(nodes, token), token[:8]
        for n in nodes:
            r = n.api("GET", "auth/token/lookup-self", token=token)
            assert r.status == 200 and r.json["data"]["type"] == "batch", r

    active.kill()
    wait_for(lambda: active_node(standbys) is not None, timeout=60,
             what="a standby to take over")
    new_active = active_node(standbys)
    # Every token made before, whichever node it was made through, works on
    # the new active and (once it forwards there) on the other standby.
    for token in (on_active, via_standby, child):
        assert new_active.api("GET", "secret/data/batch/app", token=token).status == 200
        wait_for(lambda: readable_everywhere(standbys, token), timeout=60,
                 what="the remaining standby to forward to the new active")
    # A token made by the new active works too.
    assert readable_everywhere(standbys, create(new_active, no_parent=True))
    # Revoking the parent now makes the batch child unusable everywhere.
    assert new_active.api("POST", "auth/token/revoke", {"token": parent},
                          token=root).status == 204
    for n in standbys:
        assert n.api("GET", "secret/data/batch/app", token=child).status == 403
    assert readable_everywhere(standbys, on_active)
