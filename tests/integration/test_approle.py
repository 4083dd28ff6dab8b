"""The AppRole auth method (docs/auth-approle.md) and the token_* fields of
auth methods, on the real binary, driven through hvac 0.11 as a Vault client
would and through the CLI: roles, role IDs and secret IDs, logins whose tokens
carry the role's policies, TTL and use count; secret ID use counts, TTL expiry
and CIDR restrictions enforced; destroy by accessor; secret IDs that survive a
restart and are never stored in plaintext; and userpass honouring
token_num_uses, token_period, token_bound_cidrs and token_type.

Checks of a token's own limits (num_uses, period, bound_cidrs, type) depend on
core turning a Login's fields into the token (src/core/core.cc).
"""
import json
import os

import hvac
import pytest

from harness import TresorServer, wait_for
from hvac_support import client

READER_HCL = 'path "kv1/*" {\n  capabilities = ["read", "list"]\n}\n'
INVALID = "invalid role or secret ID"
# Distinctive bytes to look for in storage files and logs.
CUSTOM_SECRET_ID = "sid-Qx9-custom-secret-id-5150"


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def node():
    """One unsealed raft server for the module; tests use their own mounts.
    Yields (server, root hvac client, root token)."""
    server = TresorServer()
    server.start()
    init = server.init(1, 1)
    server.unseal(init["keys"])
    root = client(server, init["root_token"])
    root.sys.create_or_update_policy(name="reader", policy=READER_HCL)
    root.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    root.secrets.kv.v1.create_or_update_secret(path="app", secret={"v": "1"}, mount_point="kv1")
    yield server, root, init["root_token"]
    server.close()


def enable_approle(root, path):
    root.sys.enable_auth_method("approle", path=path)
    assert root.sys.list_auth_methods()[f"{path}/"]["type"] == "approle"


def role_and_secret(root, mount, role="web", secret_fields=None, **role_fields):
    """Creates a role and issues a secret ID; returns (role_id, secret_id data)."""
    root.auth.approle.create_or_update_approle(role, mount_point=mount, **role_fields)
    role_id = root.auth.approle.read_role_id(role, mount_point=mount)["data"]["role_id"]
    issued = root.auth.approle.generate_secret_id(role, mount_point=mount,
                                                  **(secret_fields or {}))["data"]
    return role_id, issued


def login(server, mount, role_id, secret_id):
    return server.api("POST", f"auth/{mount}/login", {"role_id": role_id, "secret_id": secret_id})


def test_role_secret_id_login_and_the_tokens_limits(node):
    server, root, _ = node
    enable_approle(root, "approle")
    root.auth.approle.create_or_update_approle(
        "web", token_policies=["reader"], token_ttl="1h", token_num_uses=3,
        secret_id_num_uses=2, secret_id_ttl="10m", mount_point="approle")
    role = root.auth.approle.read_role("web", mount_point="approle")["data"]
    assert role["token_policies"] == ["reader"]
    assert (role["token_ttl"], role["token_num_uses"]) == (3600, 3)
    assert (role["secret_id_num_uses"], role["secret_id_ttl"]) == (2, 600)
    assert role["bind_secret_id"] is True and "role_id" not in role
    assert root.auth.approle.list_roles(mount_point="approle")["data"]["keys"] == ["web"]

    role_id = root.auth.approle.read_role_id("web", mount_point="approle")["data"]["role_id"]
    issued = root.auth.approle.generate_secret_id("web", metadata={"host": "h1"},
                                                  mount_point="approle")["data"]
    assert (issued["secret_id_num_uses"], issued["secret_id_ttl"]) == (2, 600)
    accessors = root.auth.approle.list_secret_id_accessors("web", mount_point="approle")
    assert accessors["data"]["keys"] == [issued["secret_id_accessor"]]

    app = hvac.Client(url=server.address)
    auth = app.auth.approle.login(role_id, issued["secret_id"])["auth"]
    assert sorted(auth["policies"]) == ["default", "reader"]
    assert auth["metadata"] == {"host": "h1", "role_name": "web"}
    assert auth["lease_duration"] == 3600
    # The token works, for token_num_uses requests and no more.
    for _ in range(3):
        assert app.secrets.kv.v1.read_secret(path="app", mount_point="kv1")["data"] == {"v": "1"}
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v1.read_secret(path="app", mount_point="kv1")

    # secret_id_num_uses: the second login is the last.
    looked = root.auth.approle.read_secret_id("web", issued["secret_id"], mount_point="approle")
    assert looked["data"]["secret_id_num_uses"] == 1
    assert login(server, "approle", role_id, issued["secret_id"]).status == 200
    refused = login(server, "approle", role_id, issued["secret_id"])
    assert refused.status == 400 and refused.errors == [INVALID], refused
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.auth.approle.list_secret_id_accessors("web", mount_point="approle")

    # A wrong role ID gets the same answer as a wrong secret ID.
    other = root.auth.approle.generate_secret_id("web", mount_point="approle")["data"]
    wrong_role = login(server, "approle", "no-such-role-id", other["secret_id"])
    wrong_secret = login(server, "approle", role_id, "no-such-secret-id")
    assert wrong_role.body == wrong_secret.body and wrong_role.errors == [INVALID]


def test_secret_id_ttl_expires(node):
    server, root, _ = node
    enable_approle(root, "approle-ttl")
    root.auth.approle.create_or_update_approle("t", secret_id_ttl="1h", mount_point="approle-ttl")
    role_id = root.auth.approle.read_role_id("t", mount_point="approle-ttl")["data"]["role_id"]
    # A secret ID may have a shorter TTL than its role's.
    short = server.api("POST", "auth/approle-ttl/role/t/secret-id", {"ttl": "2s"},
                       token=root.token)
    assert short.status == 200 and short.json["data"]["secret_id_ttl"] == 2, short
    secret_id = short.json["data"]["secret_id"]
    lasting = root.auth.approle.generate_secret_id("t", mount_point="approle-ttl")["data"]
    looked = root.auth.approle.read_secret_id("t", secret_id, mount_point="approle-ttl")["data"]
    assert looked["expiration_time"] > looked["creation_time"]

    wait_for(lambda: login(server, "approle-ttl", role_id, secret_id).status == 400,
             timeout=30, what="the 2s secret ID to expire")
    assert login(server, "approle-ttl", role_id, secret_id).errors == [INVALID]
    assert login(server, "approle-ttl", role_id, lasting["secret_id"]).status == 200
    # tidy/secret-id removes the expired one.
    tidy = server.api("POST", "auth/approle-ttl/tidy/secret-id", token=root.token)
    assert tidy.status == 202, tidy
    keys = root.auth.approle.list_secret_id_accessors("t", mount_point="approle-ttl")
    assert keys["data"]["keys"] == [lasting["secret_id_accessor"]]


def test_cidr_restrictions(node):
    server, root, _ = node
    enable_approle(root, "approle-cidr")
    # The role allows logins from 10.0.0.0/8 only; the test runs from 127.0.0.1.
    role_id, issued = role_and_secret(root, "approle-cidr", role="far",
                                      secret_id_bound_cidrs=["10.0.0.0/8"])
    refused = login(server, "approle-cidr", role_id, issued["secret_id"])
    assert refused.status == 400, refused
    assert refused.errors == [
        'source address "127.0.0.1" unauthorized by CIDR restrictions on the role']

    # A secret ID of its own bound elsewhere.
    role_id, issued = role_and_secret(root, "approle-cidr", role="near",
                                      secret_fields={"cidr_list": ["10.0.0.0/8"]})
    refused = login(server, "approle-cidr", role_id, issued["secret_id"])
    assert refused.status == 400 and "CIDR restrictions on the secret ID" in refused.errors[0]
    local = root.auth.approle.generate_secret_id("near", cidr_list=["127.0.0.0/8"],
                                                 mount_point="approle-cidr")["data"]
    assert login(server, "approle-cidr", role_id, local["secret_id"]).status == 200
    # A secret ID cannot reach beyond its role's blocks.
    outside = server.api("POST", "auth/approle-cidr/role/far/secret-id",
                         {"cidr_list": "192.168.0.0/16"}, token=root.token)
    assert outside.status == 400 and "cidr_list" in outside.errors[0], outside

    # token_bound_cidrs: the login succeeds, the token works only from there.
    role_id, issued = role_and_secret(root, "approle-cidr", role="tokbound",
                                      token_policies=["reader"],
                                      token_bound_cidrs=["10.0.0.0/8"])
    answer = login(server, "approle-cidr", role_id, issued["secret_id"])
    assert answer.status == 200, answer
    token = answer.json["auth"]["client_token"]
    use = server.api("GET", "kv1/app", token=token)
    assert use.status == 403, use
    role_id, issued = role_and_secret(root, "approle-cidr", role="tokhere",
                                      token_policies=["reader"],
                                      token_bound_cidrs=["127.0.0.1/32"])
    token = login(server, "approle-cidr", role_id, issued["secret_id"]).json["auth"]["client_token"]
    assert server.api("GET", "kv1/app", token=token).status == 200


def test_destroy_by_accessor_and_custom_secret_ids(node):
    server, root, _ = node
    enable_approle(root, "approle-acc")
    role_id, issued = role_and_secret(root, "approle-acc")
    accessor = issued["secret_id_accessor"]
    looked = root.auth.approle.read_secret_id_accessor("web", accessor, mount_point="approle-acc")
    assert looked["data"]["secret_id_accessor"] == accessor
    assert "secret_id" not in looked["data"]
    root.auth.approle.destroy_secret_id_accessor("web", accessor, mount_point="approle-acc")
    assert login(server, "approle-acc", role_id, issued["secret_id"]).errors == [INVALID]
    with pytest.raises(hvac.exceptions.InvalidPath,
                       match="failed to find accessor entry for secret_id_accessor"):
        root.auth.approle.read_secret_id_accessor("web", accessor, mount_point="approle-acc")

    custom = root.auth.approle.create_custom_secret_id("web", CUSTOM_SECRET_ID,
                                                       mount_point="approle-acc")["data"]
    assert custom["secret_id"] == CUSTOM_SECRET_ID
    assert login(server, "approle-acc", role_id, CUSTOM_SECRET_ID).status == 200
    root.auth.approle.destroy_secret_id("web", CUSTOM_SECRET_ID, mount_point="approle-acc")
    assert login(server, "approle-acc", role_id, CUSTOM_SECRET_ID).errors == [INVALID]

    # A custom role ID replaces the generated one.
    root.auth.approle.update_role_id("web", "my-role-id", mount_point="approle-acc")
    fresh = root.auth.approle.generate_secret_id("web", mount_point="approle-acc")["data"]
    assert login(server, "approle-acc", role_id, fresh["secret_id"]).errors == [INVALID]
    assert login(server, "approle-acc", "my-role-id", fresh["secret_id"]).status == 200
    # Deleting the role takes its secret IDs with it.
    root.auth.approle.delete_role("web", mount_point="approle-acc")
    assert login(server, "approle-acc", "my-role-id", fresh["secret_id"]).errors == [INVALID]


def test_cli_write_login(node):
    server, root, root_token = node
    enable_approle(root, "approle-cli")
    ok(server.cli("write", "auth/approle-cli/role/cli", "token_policies=reader",
                  "token_ttl=30m", token=root_token))
    role_id = ok(server.cli("read", "-field=role_id", "auth/approle-cli/role/cli/role-id",
                            token=root_token)).strip()
    secret_id = ok(server.cli("write", "-f", "-field=secret_id",
                              "auth/approle-cli/role/cli/secret-id", token=root_token)).strip()
    out = ok(server.cli("write", "auth/approle-cli/login", f"role_id={role_id}",
                        f"secret_id={secret_id}"))
    assert "token_meta_role_name" in out and "cli" in out
    printed = json.loads(ok(server.cli("write", "-format=json", "auth/approle-cli/login",
                                       f"role_id={role_id}", f"secret_id={secret_id}")))
    token = printed["auth"]["client_token"]
    assert printed["auth"]["lease_duration"] == 1800
    assert server.api("GET", "kv1/app", token=token).status == 200
    wrong = server.cli("write", "auth/approle-cli/login", f"role_id={role_id}",
                       "secret_id=not-the-secret")
    assert wrong.returncode == 2 and INVALID in wrong.stderr, wrong
    listed = json.loads(ok(server.cli("list", "-format=json", "auth/approle-cli/role",
                                      token=root_token)))
    assert listed == ["cli"]


def test_bad_role_fields_name_the_field(node):
    server, root, _ = node
    enable_approle(root, "approle-bad")
    for body, fragment in [
        ({"bind_secret_id": False}, "at least one constraint should be enabled on the role"),
        ({"secret_id_num_uses": -1}, "secret_id_num_uses cannot be negative"),
        ({"token_ttl": "2h", "token_max_ttl": "1h"}, "token_ttl cannot be greater"),
        ({"token_bound_cidrs": ["10.0.0.0/33"]}, "token_bound_cidrs"),
        ({"token_type": "batch", "token_num_uses": 2}, "token_type cannot be batch"),
    ]:
        r = server.api("POST", "auth/approle-bad/role/r", body, token=root.token)
        assert r.status == 400 and fragment in r.errors[0], (body, r)
    assert server.api("LIST", "auth/approle-bad/role", token=root.token).status == 404
    # hvac names local secret IDs enable_local_secret_ids, which Vault ignores too.
    r = server.api("POST", "auth/approle-bad/role/r", {"enable_local_secret_ids": True},
                   token=root.token)
    assert r.status == 200, r
    assert r.json["warnings"] == [
        "Endpoint ignored these unrecognized parameters: [enable_local_secret_ids]"]


def test_secret_ids_survive_a_restart_and_are_never_stored_in_clear():
    server = TresorServer(storage="raft")
    server.start()
    try:
        init = server.init(1, 1)
        server.unseal(init["keys"])
        root = client(server, init["root_token"])
        enable_approle(root, "approle")
        root.auth.approle.create_or_update_approle("keep", secret_id_num_uses=3,
                                                   mount_point="approle")
        role_id = root.auth.approle.read_role_id("keep", mount_point="approle")["data"]["role_id"]
        custom = root.auth.approle.create_custom_secret_id("keep", CUSTOM_SECRET_ID,
                                                           mount_point="approle")["data"]
        generated = root.auth.approle.generate_secret_id("keep", mount_point="approle")["data"]
        assert login(server, "approle", role_id, CUSTOM_SECRET_ID).status == 200

        server.restart()
        server.unseal(init["keys"])
        wait_for(lambda: server.api("GET", "sys/leader").json.get("is_self"),
                 what="the node to become active again")
        assert login(server, "approle", role_id, generated["secret_id"]).status == 200
        assert login(server, "approle", role_id, CUSTOM_SECRET_ID).status == 200
        # 3 uses: one before the restart, one after, this is the last.
        assert login(server, "approle", role_id, CUSTOM_SECRET_ID).status == 200
        assert login(server, "approle", role_id, CUSTOM_SECRET_ID).errors == [INVALID]
        accessors = root.auth.approle.list_secret_id_accessors("keep", mount_point="approle")
        assert accessors["data"]["keys"] == [generated["secret_id_accessor"]]
        assert custom["secret_id_accessor"] not in accessors["data"]["keys"]

        server.restart()  # flushes whatever the server buffers
        files = [os.path.join(d, f) for d, _, fs in os.walk(server.data_dir) for f in fs]
        assert files, "the raft storage wrote nothing"
        for path in files:
            with open(path, "rb") as f:
                content = f.read()
            for secret in (CUSTOM_SECRET_ID, generated["secret_id"], role_id):
                assert secret.encode() not in content, f"{secret} found in {path}"
        for secret in (CUSTOM_SECRET_ID, generated["secret_id"]):
            assert secret not in server.logs()
    finally:
        server.close()


def test_userpass_honours_the_token_fields(node):
    server, root, _ = node
    root.sys.enable_auth_method("userpass", path="up-tokens")

    def user_token(name, **fields):
        root.auth.userpass.create_or_update_user(name, password="pw-9s", mount_point="up-tokens",
                                                 **fields)
        r = server.api("POST", f"auth/up-tokens/login/{name}", {"password": "pw-9s"})
        assert r.status == 200, r
        return r.json["auth"]

    auth = user_token("uses", token_policies="reader", token_num_uses=2)
    assert auth["num_uses"] == 2
    for _ in range(2):
        assert server.api("GET", "kv1/app", token=auth["client_token"]).status == 200
    assert server.api("GET", "kv1/app", token=auth["client_token"]).status == 403

    auth = user_token("periodic", token_period="1h", token_ttl="5m")
    assert auth["lease_duration"] == 3600
    data = client(server, auth["client_token"]).auth.token.lookup_self()["data"]
    assert data["period"] == 3600

    auth = user_token("bound", token_policies="reader", token_bound_cidrs=["10.0.0.0/8"])
    assert server.api("GET", "kv1/app", token=auth["client_token"]).status == 403
    auth = user_token("here", token_policies="reader", bound_cidrs=["127.0.0.1"])
    assert server.api("GET", "kv1/app", token=auth["client_token"]).status == 200

    auth = user_token("batch", token_policies="reader", token_type="batch")
    assert auth["token_type"] == "batch"
    assert auth["client_token"].startswith("hvb.")
    assert server.api("GET", "kv1/app", token=auth["client_token"]).status == 200

    auth = user_token("nodefault", token_policies="reader", token_no_default_policy=True)
    assert auth["policies"] == ["reader"]
    user = root.auth.userpass.read_user("nodefault", mount_point="up-tokens")["data"]
    assert user["token_no_default_policy"] is True and user["token_type"] == "default"
