"""Response wrapping (docs/wrapping.md) on the real binary: X-Vault-Wrap-TTL
on a secret read and on a login, sys/wrapping/{wrap,unwrap,lookup,rewrap}
through hvac and the HTTP API, single use, what a wrapping token may not do,
expiry, the policies' min_wrapping_ttl / max_wrapping_ttl, the CLI's
-wrap-ttl and `unwrap`, and wrapping tokens across a 3-node raft cluster and
its failover. The wrapped secret must never reach a log.
"""
import json

import hvac
import pytest

from harness import DevServer, ROOT_TOKEN, active_node, form_raft_cluster, wait_for, close_all
from hvac_support import client

SECRET = "wrapped-Qx9-correct-horse-7731"
NOT_VALID = ["wrapping token is not valid or does not exist"]


def wrapped(server, method, path, body=None, token=ROOT_TOKEN, ttl="60s"):
    r = server.api(method, path, body, token=token, headers={"X-Vault-Wrap-TTL": ttl})
    assert r.status == 200, r
    assert r.json["data"] is None and r.json["auth"] is None, r.json
    return r.json["wrap_info"]


@pytest.fixture(scope="module")
def dev():
    with DevServer() as s:
        r = s.api("POST", "secret/data/app/db", {"data": {"password": SECRET}}, token=ROOT_TOKEN)
        assert r.status == 200, r
        yield s


def test_a_wrapped_read_hands_out_a_token_not_the_secret(dev):
    r = dev.api("GET", "secret/data/app/db", token=ROOT_TOKEN,
                headers={"X-Vault-Wrap-TTL": "90s"})
    assert r.status == 200, r
    assert SECRET not in r.body
    info = r.json["wrap_info"]
    assert info["ttl"] == 90
    assert info["creation_path"] == "secret/data/app/db"
    assert info["token"].startswith("hvs.") and info["accessor"]
    assert info["creation_time"].endswith("Z")
    assert info["wrapped_accessor"] == ""

    # Once, with the wrapping token as the request's token ...
    first = dev.api("POST", "sys/wrapping/unwrap", {}, token=info["token"])
    assert first.status == 200, first
    assert first.json["data"]["data"]["password"] == SECRET
    # ... and never again, by any route.
    again = dev.api("POST", "sys/wrapping/unwrap", {}, token=info["token"])
    assert again.status in (400, 403), again
    by_body = dev.api("POST", "sys/wrapping/unwrap", {"token": info["token"]}, token=ROOT_TOKEN)
    assert by_body.status == 400 and by_body.errors == NOT_VALID, by_body


def test_hvac_unwraps_with_the_token_in_the_body(dev):
    info = wrapped(dev, "GET", "secret/data/app/db")
    c = client(dev, ROOT_TOKEN)
    answer = c.sys.unwrap(token=info["token"])
    assert answer["data"]["data"]["password"] == SECRET
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.unwrap(token=info["token"])


def test_a_wrapping_token_can_do_nothing_but_unwrap_itself(dev):
    info = wrapped(dev, "GET", "secret/data/app/db")
    token = info["token"]
    for method, path in [("GET", "secret/data/app/db"), ("GET", "auth/token/lookup-self"),
                         ("GET", "cubbyhole/response"), ("POST", "sys/wrapping/wrap")]:
        r = dev.api(method, path, {"a": "b"} if method == "POST" else None, token=token)
        assert r.status == 403, (path, r)
    # Still whole after all that.
    assert dev.api("POST", "sys/wrapping/unwrap", {}, token=token).status == 200
    # The reserved policy name cannot be given rights.
    r = dev.api("PUT", "sys/policies/acl/response-wrapping",
                {"policy": 'path "*" { capabilities = ["read"] }'}, token=ROOT_TOKEN)
    assert r.status == 400 and "reserved" in r.errors[0], r


def test_wrap_lookup_rewrap(dev):
    r = dev.api("POST", "sys/wrapping/wrap", {"db": SECRET}, token=ROOT_TOKEN)
    assert r.status == 200, r
    info = r.json["wrap_info"]
    assert info["ttl"] == 300  # the default for sys/wrapping/wrap
    assert info["creation_path"] == "sys/wrapping/wrap"

    # lookup needs no token and does not use the wrapping token up.
    look = dev.api("POST", "sys/wrapping/lookup", {"token": info["token"]})
    assert look.status == 200, look
    assert look.json["data"]["creation_path"] == "sys/wrapping/wrap"
    assert look.json["data"]["creation_ttl"] == 300

    re = dev.api("POST", "sys/wrapping/rewrap", {"token": info["token"]}, token=ROOT_TOKEN)
    assert re.status == 200, re
    new = re.json["wrap_info"]
    assert new["token"] != info["token"] and new["ttl"] == 300
    assert new["creation_path"] == "sys/wrapping/wrap"
    old = dev.api("POST", "sys/wrapping/lookup", {"token": info["token"]})
    assert old.status == 400 and old.errors == NOT_VALID, old
    out = dev.api("POST", "sys/wrapping/unwrap", {}, token=new["token"])
    assert out.status == 200 and out.json["data"] == {"db": SECRET}, out


def test_a_wrapped_login_names_the_token_it_holds(dev):
    assert dev.api("POST", "sys/auth/wrapuser", {"type": "userpass"}, token=ROOT_TOKEN).status == 204
    r = dev.api("POST", "auth/wrapuser/users/app", {"password": "pw-app-1", "token_policies": "default"},
                token=ROOT_TOKEN)
    assert r.status == 204, r
    info = wrapped(dev, "POST", "auth/wrapuser/login/app", {"password": "pw-app-1"}, token=None)
    assert info["wrapped_accessor"], info
    out = dev.api("POST", "sys/wrapping/unwrap", {}, token=info["token"])
    assert out.status == 200, out
    auth = out.json["auth"]
    assert auth["accessor"] == info["wrapped_accessor"]
    me = dev.api("GET", "auth/token/lookup-self", token=auth["client_token"])
    assert me.status == 200 and me.json["data"]["display_name"] == "userpass-app", me


def test_an_expired_wrapping_token_unwraps_nothing(dev):
    info = wrapped(dev, "GET", "secret/data/app/db", ttl="1s")
    wait_for(lambda: dev.api("POST", "sys/wrapping/lookup", {"token": info["token"]}).status == 400,
             timeout=10, what="the wrapping token to expire")
    r = dev.api("POST", "sys/wrapping/unwrap", {"token": info["token"]}, token=ROOT_TOKEN)
    assert r.status == 400 and r.errors == NOT_VALID, r


def test_policy_wrapping_ttl_bounds(dev):
    policy = ('path "secret/data/wrapped/*" {\n  capabilities = ["read", "create", "update"]\n'
              '  min_wrapping_ttl = "30s"\n  max_wrapping_ttl = "10m"\n}\n')
    assert dev.api("PUT", "sys/policies/acl/must-wrap", {"policy": policy},
                   token=ROOT_TOKEN).status == 204
    assert dev.api("POST", "secret/data/wrapped/x", {"data": {"v": SECRET}},
                   token=ROOT_TOKEN).status == 200
    made = dev.api("POST", "auth/token/create", {"policies": ["must-wrap"]}, token=ROOT_TOKEN)
    token = made.json["auth"]["client_token"]

    plain = dev.api("GET", "secret/data/wrapped/x", token=token)
    assert plain.status == 400 and "wrapped" in plain.errors[0], plain
    assert SECRET not in plain.body
    short = dev.api("GET", "secret/data/wrapped/x", token=token, headers={"X-Vault-Wrap-TTL": "5s"})
    assert short.status == 400 and "min_wrapping_ttl" in short.errors[0], short
    long = dev.api("GET", "secret/data/wrapped/x", token=token, headers={"X-Vault-Wrap-TTL": "1h"})
    assert long.status == 400 and "max_wrapping_ttl" in long.errors[0], long
    good = dev.api("GET", "secret/data/wrapped/x", token=token, headers={"X-Vault-Wrap-TTL": "1m"})
    assert good.status == 200 and good.json["wrap_info"]["ttl"] == 60, good


def test_bad_wrap_headers_are_refused_and_change_nothing(dev):
    for headers in ({"X-Vault-Wrap-TTL": "soon"}, {"X-Vault-Wrap-TTL": "-1s"},
                    {"X-Vault-Wrap-TTL": "60s", "X-Vault-Wrap-Format": "jwt"}):
        r = dev.api("POST", "secret/data/app/db", {"data": {"password": "changed"}},
                    token=ROOT_TOKEN, headers=headers)
        assert r.status == 400 and "X-Vault-Wrap" in r.errors[0], (headers, r)
    # Refused before the write runs, not after.
    r = dev.api("POST", "secret/data/app/db", {"data": {"password": "changed"}}, token=ROOT_TOKEN,
                headers={"X-Vault-Wrap-TTL": "10000h"})
    assert r.status == 400 and "max TTL" in r.errors[0], r
    read = dev.api("GET", "secret/data/app/db", token=ROOT_TOKEN)
    assert read.json["data"]["data"]["password"] == SECRET
    # An explicit 0 asks for no wrapping, as in Vault.
    zero = dev.api("GET", "secret/data/app/db", token=ROOT_TOKEN, headers={"X-Vault-Wrap-TTL": "0"})
    assert zero.status == 200 and zero.json["wrap_info"] is None
    for body in ({}, {"token": 5}, {"token": "hvs.not-a-wrapping-token"}, {"tokn": "x"}):
        r = dev.api("POST", "sys/wrapping/unwrap", body, token=ROOT_TOKEN)
        assert r.status == 400, (body, r)
    empty = dev.api("POST", "sys/wrapping/wrap", {}, token=ROOT_TOKEN)
    assert empty.status == 400, empty
    # A token that is not a wrapping token is not unwrapped (nor revoked).
    assert dev.api("POST", "sys/wrapping/unwrap", {"token": ROOT_TOKEN},
                   token=ROOT_TOKEN).errors == NOT_VALID
    assert dev.api("GET", "auth/token/lookup-self", token=ROOT_TOKEN).status == 200
    assert SECRET not in dev.logs()


def test_cli_wrap_ttl_and_unwrap(dev):
    out = dev.cli("kv", "get", "-wrap-ttl=2m", "-format=json", "secret/app/db", token=ROOT_TOKEN)
    assert out.returncode == 0, out
    assert SECRET not in out.stdout
    info = json.loads(out.stdout)["wrap_info"]
    assert info["ttl"] == 120
    # Without a token of its own, the argument is the request's token.
    got = dev.cli("unwrap", "-field=data", "-format=json", info["token"])
    assert got.returncode == 0, got
    assert json.loads(got.stdout)["password"] == SECRET
    # Used up: as the request's token it is now simply unknown.
    again = dev.cli("unwrap", info["token"])
    assert again.returncode == 2 and "permission denied" in again.stderr, again
    # With a token of its own, the argument goes in the body.
    again = dev.cli("unwrap", info["token"], token=ROOT_TOKEN)
    assert again.returncode == 2 and "not valid" in again.stderr, again
    # The table form, and the environment variable.
    env_wrapped = dev.cli("read", "secret/data/app/db", token=ROOT_TOKEN,
                          env={"VAULT_WRAP_TTL": "45s"})
    assert env_wrapped.returncode == 0 and "wrapping_token:" in env_wrapped.stdout, env_wrapped
    bad = dev.cli("read", "-wrap-ttl=soon", "secret/data/app/db", token=ROOT_TOKEN)
    assert bad.returncode == 2 and "wrap-ttl" in bad.stderr, bad


def test_wrapping_tokens_work_across_a_cluster_and_its_failover():
    nodes, keys, root = form_raft_cluster(3, 3, 2)
    try:
        leader = active_node(nodes)
        standbys = [n for n in nodes if n is not leader]
        assert leader.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        assert leader.api("POST", "kv/app", {"password": SECRET}, token=root).status == 204
        # Wrapped through a standby (which forwards), unwrapped through another.
        info = wrapped(standbys[0], "GET", "kv/app", token=root)
        out = standbys[1].api("POST", "sys/wrapping/unwrap", {}, token=info["token"])
        assert out.status == 200 and out.json["data"]["password"] == SECRET, out

        # A wrapping token, an AppRole secret ID and a login's lease survive
        # the loss of the active node.
        kept = wrapped(leader, "GET", "kv/app", token=root, ttl="10m")
        assert leader.api("POST", "sys/auth/approle", {"type": "approle"}, token=root).status == 204
        assert leader.api("POST", "auth/approle/role/app", {"token_policies": "default"},
                          token=root).status == 204
        role_id = leader.api("GET", "auth/approle/role/app/role-id",
                             token=root).json["data"]["role_id"]
        # The secret ID itself handed over wrapped, as AppRole deployments do.
        secret_wrap = wrapped(leader, "POST", "auth/approle/role/app/secret-id", {}, token=root)
        login = leader.api("POST", "auth/approle/login", {"role_id": role_id, "secret_id": "x"})
        assert login.status == 400, login
        made = leader.api("POST", "auth/token/create", {"ttl": "1h"}, token=root)
        assert made.status == 200, made
        listed = leader.api("LIST", "sys/leases/lookup/auth/token/create/", token=root)
        assert listed.status == 200 and len(listed.json["data"]["keys"]) == 1, listed
        lease_id = "auth/token/create/" + listed.json["data"]["keys"][0]
        leader.kill()
        survivors = standbys
        wait_for(lambda: active_node(survivors) is not None, timeout=30,
                 what="a new active node")
        new_active = active_node(survivors)
        out = new_active.api("POST", "sys/wrapping/unwrap", {"token": kept["token"]}, token=root)
        assert out.status == 200 and out.json["data"]["password"] == SECRET, out
        again = new_active.api("POST", "sys/wrapping/unwrap", {"token": kept["token"]}, token=root)
        assert again.status == 400, again
        secret = new_active.api("POST", "sys/wrapping/unwrap", {}, token=secret_wrap["token"])
        assert secret.status == 200, secret
        login = new_active.api("POST", "auth/approle/login",
                               {"role_id": role_id, "secret_id": secret.json["data"]["secret_id"]})
        assert login.status == 200, login
        # The lease made on the old active is the new active's to renew.
        renewed = new_active.api("PUT", "sys/leases/renew", {"lease_id": lease_id,
                                                             "increment": "2h"}, token=root)
        assert renewed.status == 200 and renewed.json["lease_duration"] == 7200, renewed
        for n in nodes:
            if n.proc is not None:
                assert SECRET not in n.logs()
    finally:
        close_all(nodes)
