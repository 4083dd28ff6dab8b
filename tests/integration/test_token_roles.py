"""Token roles through hvac 0.11.2 against the real binary (`tresor server
-dev`): docs/tokens.md, "Token roles".

Covers the role endpoints (create, read, update of the named fields only,
list, delete), creating tokens against a role by a caller that does not
hold the role's policies (the role's allowed and disallowed policies, its
path and suffix, orphan, period, bound CIDRs, batch type), the ACL on
auth/token/create/<role>, and bad input answered with 400s.
"""
import json

import hvac
import pytest

from hvac_support import client

SECRET_POLICY = 'path "secret/data/role-test/*" {\n  capabilities = ["read"]\n}\n'


@pytest.fixture(scope="module")
def setup(dev):
    """Policies `web` (reads secret/data/role-test/*) and `ci-creator` (may
    create against role ci only), a secret, and a token holding only
    ci-creator. Returns (root client, creator client)."""
    root = client(dev, "root-token-for-tests")
    root.sys.create_or_update_policy(name="web", policy=SECRET_POLICY)
    root.sys.create_or_update_policy(
        name="ci-creator",
        policy='path "auth/token/create/ci" {\n  capabilities = ["update"]\n}\n')
    root.secrets.kv.v2.create_or_update_secret(path="role-test/app", secret={"k": "v"})
    creator = root.auth.token.create(policies=["ci-creator"], ttl="1h")["auth"]["client_token"]
    return root, client(dev, creator)


def test_role_crud(setup):
    root, _ = setup
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.auth.token.read_role("crud")
    root.auth.token.create_or_update_role("crud", allowed_policies=["Web", "db"], orphan=True,
                                          path_suffix="v1")
    data = root.auth.token.read_role("crud")["data"]
    assert data["name"] == "crud"
    assert data["allowed_policies"] == ["db", "web"]
    assert data["orphan"] is True and data["renewable"] is True
    assert data["path_suffix"] == "v1"
    assert data["token_type"] == "default-service"

    # A write names only what it changes.
    root.write("auth/token/roles/crud", renewable=False, token_period="1h",
               token_bound_cidrs=["127.0.0.1/32"])
    data = root.auth.token.read_role("crud")["data"]
    assert data["allowed_policies"] == ["db", "web"] and data["orphan"] is True
    assert data["renewable"] is False
    assert data["token_period"] == 3600 and data["period"] == 3600
    assert data["token_bound_cidrs"] == ["127.0.0.1/32"]

    root.auth.token.create_or_update_role("crud2")
    assert root.auth.token.list_roles()["data"]["keys"] == ["crud", "crud2"]
    root.auth.token.delete_role("crud")
    root.auth.token.delete_role("crud")  # a missing role: no error, as Vault
    root.auth.token.delete_role("crud2")
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.auth.token.read_role("crud")
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.auth.token.list_roles()


def test_create_against_a_role_grants_the_roles_policies(setup, dev):
    root, creator = setup
    root.auth.token.create_or_update_role("ci", allowed_policies=["web", "admin"],
                                          disallowed_policies=["admin"], orphan=True,
                                          path_suffix="blue")
    # The creator holds neither web nor admin: the role decides.
    with pytest.raises(hvac.exceptions.InvalidRequest) as refused:
        creator.auth.token.create(role_name="ci")  # the allowed set includes admin
    assert 'token policy "admin" is disallowed by this role' in str(refused.value)
    auth = creator.auth.token.create(role_name="ci", policies=["web"], ttl="10m")["auth"]
    assert auth["policies"] == ["default", "web"]
    assert auth["orphan"] is True and auth["token_type"] == "service"
    token = client(dev, auth["client_token"])
    data = token.auth.token.lookup_self()["data"]
    assert data["path"] == "auth/token/create/ci/blue"
    assert data["role"] == "ci"
    assert data["orphan"] is True
    # The policy works.
    assert token.secrets.kv.v2.read_secret_version(path="role-test/app")["data"]["data"] == {
        "k": "v"}
    # Outside the role's allowed policies: refused.
    with pytest.raises(hvac.exceptions.InvalidRequest) as refused:
        creator.auth.token.create(role_name="ci", policies=["ops"])
    assert "must be subset of the role's allowed policies" in str(refused.value)
    # The ACL still decides who may use which role.
    root.auth.token.create_or_update_role("other", allowed_policies=["web"])
    with pytest.raises(hvac.exceptions.Forbidden):
        creator.auth.token.create(role_name="other")


def test_role_period_type_and_role_name_in_body(setup, dev):
    root, _ = setup
    root.write("auth/token/roles/periodic", allowed_policies="web", token_period="2h")
    auth = root.auth.token.create(role_name="periodic", ttl="5m")["auth"]
    assert auth["lease_duration"] == 7200  # periodic: the period, not the ttl
    assert client(dev, auth["client_token"]).auth.token.lookup_self()["data"]["period"] == 7200
    # role_name in the body of auth/token/create is the same as the path.
    r = root.write("auth/token/create", role_name="periodic")
    assert client(dev, r["auth"]["client_token"]).auth.token.lookup_self()["data"]["path"] == \
        "auth/token/create/periodic"

    root.write("auth/token/roles/batchy", allowed_policies="web", token_type="batch",
               orphan=True, renewable=False)
    auth = root.auth.token.create(role_name="batchy", ttl="10m")["auth"]
    assert auth["token_type"] == "batch" and auth["client_token"].startswith("hvb.")
    assert auth["accessor"] == ""
    batch = client(dev, auth["client_token"])
    assert batch.auth.token.lookup_self()["data"]["path"] == "auth/token/create/batchy"
    assert batch.secrets.kv.v2.read_secret_version(path="role-test/app")["data"]["data"] == {
        "k": "v"}


@pytest.mark.parametrize("path,body,fragment", [
    ("auth/token/roles/bad", {"token_type": "gold"}, "token_type: expected"),
    ("auth/token/roles/bad", {"token_type": "batch"}, "'token_type' cannot be 'batch'"),
    ("auth/token/roles/bad", {"token_bound_cidrs": ["300.1.1.1"]}, "token_bound_cidrs"),
    ("auth/token/roles/bad", {"path_suffix": "a/../b"}, "path_suffix"),
    ("auth/token/roles/bad", {"token_num_uses": -1}, "token_num_uses cannot be negative"),
    ("auth/token/roles/bad", {"allowed_entity_aliases": ["x"]}, "no identity store"),
    ("auth/token/roles/-bad", {}, "invalid role name"),
    ("auth/token/create/missing", {}, "unknown role missing"),
])
def test_bad_role_input_is_a_400_that_changes_nothing(setup, dev, path, body, fragment):
    root, _ = setup
    r = dev.api("POST", path, body, token="root-token-for-tests")
    assert r.status == 400, r
    assert any(fragment in e for e in r.errors), r
    assert dev.api("GET", "auth/token/roles/bad", token="root-token-for-tests").status == 404


def test_cli_creates_against_a_role_and_makes_batch_tokens(setup, dev):
    root, _ = setup
    r = dev.api("POST", "auth/token/roles/cli-role",
                {"allowed_policies": ["web"], "token_type": "batch", "orphan": True,
                 "renewable": False}, token="root-token-for-tests")
    assert r.status in (200, 204), r
    out = dev.cli("token", "create", "-role=cli-role", "-policy=web", "-renewable=false",
                  "-format=json", token="root-token-for-tests")
    assert out.returncode == 0, out
    auth = json.loads(out.stdout)["auth"]
    assert auth["client_token"].startswith("hvb.") and auth["policies"] == ["default", "web"]
    looked = dev.cli("token", "lookup", "-format=json", auth["client_token"],
                     token="root-token-for-tests")
    assert looked.returncode == 0 and json.loads(looked.stdout)["data"]["type"] == "batch"
    missing = dev.cli("token", "create", "-role=no-such-role", token="root-token-for-tests")
    assert missing.returncode == 2 and "unknown role no-such-role" in missing.stderr, missing
    # Batch through the CLI's -type as well.
    batch = dev.cli("token", "create", "-type=batch", "-policy=web", "-renewable=false",
                    "-orphan", "-format=json", token="root-token-for-tests")
    assert batch.returncode == 0 and '"hvb.' in batch.stdout, batch
