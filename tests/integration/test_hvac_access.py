"""Policies, tokens, cubbyhole and mounts through hvac 0.11.2 against the real
binary (`tresor server -dev`).

Covers docs/policies.md (write/read/list/delete in HCL and JSON, exact text
round-trip, line-numbered errors, the undeletable built-ins, enforcement,
capabilities), docs/tokens.md (every auth/token/ call hvac 0.11.2 offers:
create, lookup, lookup_self, lookup_accessor, renew, renew_self,
renew_accessor, revoke, revoke_self, revoke_accessor,
revoke_and_orphan_children, list_accessors, tidy; trees, orphans, num_uses),
docs/cubbyhole.md (isolation, destroyed with its token) and docs/mounts.md
(enable, list, tune, read tune, move, disable, auth methods, Vault's 768h
default TTLs).
"""
import json
import re

import hvac
import pytest

from hvac_support import client

SYSTEM_TTL = 2764800  # 768h, Vault's default and max lease TTL



def new_token(root, **kwargs):
    return root.auth.token.create(**kwargs)["auth"]


# --- policies --------------------------------------------------------------

HCL_POLICY = """# Readers of the shared secrets.
path "secret/data/shared/*" {
  capabilities = ["read"]
}

path "secret/metadata/shared/*" {
  capabilities = ["list", "read"]   # trailing comment
}
"""


def test_policy_hcl_round_trip_and_list(root):
    root.sys.create_or_update_policy(name="reader", policy=HCL_POLICY)
    r = root.sys.read_policy(name="reader")
    assert r["data"]["name"] == "reader"
    assert r["data"]["rules"] == HCL_POLICY  # exactly as written
    assert r["rules"] == HCL_POLICY  # Vault also answers at the top level
    policies = root.sys.list_policies()["data"]["policies"]
    assert {"default", "reader", "root"} <= set(policies)
    assert policies[-1] == "root"
    # sys/policies/acl is the newer spelling of the same store.
    r = root.read("sys/policies/acl/reader")
    assert r["data"]["policy"] == HCL_POLICY


def test_policy_json_round_trip(root):
    policy = {"path": {"secret/data/json/*": {"capabilities": ["read", "list"]}}}
    root.sys.create_or_update_policy(name="json-policy", policy=policy)  # hvac pretty-prints
    rules = root.sys.read_policy(name="json-policy")["data"]["rules"]
    assert rules == json.dumps(policy, indent=4, sort_keys=True)
    root.sys.create_or_update_policy(name="json-policy", policy=policy, pretty_print=False)
    assert root.sys.read_policy(name="json-policy")["data"]["rules"] == json.dumps(policy)
    caps = root.sys.get_capabilities(paths=["secret/data/json/x"],
                                     token=new_token(root, policies=["json-policy"])[
                                         "client_token"])
    assert caps["capabilities"] == ["list", "read"]


def test_policy_names_are_lower_cased(root):
    root.sys.create_or_update_policy(name="MixedCase", policy=HCL_POLICY)
    assert "mixedcase" in root.sys.list_policies()["data"]["policies"]
    assert root.sys.read_policy(name="mixedcase")["data"]["rules"] == HCL_POLICY
    root.sys.delete_policy(name="MIXEDCASE")
    assert "mixedcase" not in root.sys.list_policies()["data"]["policies"]


@pytest.mark.parametrize("text,line", [
    ('path "secret/*" {\n  capabilities = ["read"]\n}\npath "x" {\n  capabilities = ["reed"]\n}\n',
     5),
    ('path "secret/*" {\n  capabilities = ["read"\n', None),
    ('path "secret/*" {\n  capabilities = ["read"]\n  allowed_parameters = {}\n}\n', 3),
    ('path "secret/*" {\n  colour = "blue"\n}\n', 2),
])
def test_invalid_hcl_policy_refused_with_line_number(root, text, line):
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        root.sys.create_or_update_policy(name="broken", policy=text)
    message = str(e.value)
    assert "failed to parse policy" in message
    found = re.search(r"line (\d+)", message)
    assert found, message
    if line is not None:
        assert int(found.group(1)) == line, message
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.sys.read_policy(name="broken")


def test_builtin_policies_cannot_be_deleted(root):
    for name in ("root", "default"):
        with pytest.raises(hvac.exceptions.InvalidRequest):
            root.sys.delete_policy(name=name)
        assert name in root.sys.list_policies()["data"]["policies"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.create_or_update_policy(name="root", policy=HCL_POLICY)
    assert "sys/capabilities-self" in root.sys.read_policy(name="default")["data"]["rules"]


def test_delete_policy_takes_effect_at_once(root, dev):
    root.sys.create_or_update_policy(name="temp", policy=HCL_POLICY)
    root.secrets.kv.v2.create_or_update_secret(path="shared/temp/t", secret={"v": 1})
    tok = new_token(root, policies=["temp"])["client_token"]
    user = client(dev, tok)
    assert user.secrets.kv.v2.read_secret_version(path="shared/temp/t")["data"]["data"] == \
        {"v": 1}
    root.sys.delete_policy(name="temp")
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.sys.read_policy(name="temp")
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.read_secret_version(path="shared/temp/t")


def test_token_with_policy_reads_but_cannot_write(root, dev):
    root.sys.create_or_update_policy(name="reader", policy=HCL_POLICY)
    root.secrets.kv.v2.create_or_update_secret(path="shared/db", secret={"pw": "x"})
    root.secrets.kv.v2.create_or_update_secret(path="private/db", secret={"pw": "y"})
    auth = new_token(root, policies=["reader"])
    assert auth["policies"] == ["default", "reader"]
    user = client(dev, auth["client_token"])

    assert user.secrets.kv.v2.read_secret_version(path="shared/db")["data"]["data"] == \
        {"pw": "x"}
    assert "db" in user.secrets.kv.v2.list_secrets(path="shared")["data"]["keys"]
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.create_or_update_secret(path="shared/db", secret={"pw": "z"})
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.create_or_update_secret(path="shared/new", secret={"pw": "z"})
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.read_secret_version(path="private/db")
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.delete_metadata_and_all_versions(path="shared/db")
    with pytest.raises(hvac.exceptions.Forbidden):
        user.sys.create_or_update_policy(name="escalate", policy='path "*" {\n'
                                         '  capabilities = ["sudo"]\n}\n')
    with pytest.raises(hvac.exceptions.Forbidden):
        user.sys.enable_secrets_engine("kv", path="mine")
    assert root.secrets.kv.v2.read_secret_version(path="shared/db")["data"]["data"] == \
        {"pw": "x"}

    # capabilities (of another token) and capabilities-self.
    caps = root.sys.get_capabilities(paths=["secret/data/shared/db"],
                                     token=auth["client_token"])
    assert caps["capabilities"] == ["read"]
    assert caps["data"]["secret/data/shared/db"] == ["read"]
    caps = user.sys.get_capabilities(paths=["secret/data/shared/db",
                                            "secret/metadata/shared/db",
                                            "secret/data/private/db"])
    assert caps["secret/data/shared/db"] == ["read"]
    assert caps["secret/metadata/shared/db"] == ["list", "read"]
    assert caps["secret/data/private/db"] == ["deny"]
    assert "capabilities" not in caps  # only for a single path
    assert root.sys.get_capabilities(paths=["anything/at/all"])["capabilities"] == ["root"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.get_capabilities(paths=["x"], token="hvs.not-a-real-token-at-all")


def test_policy_update_applies_to_existing_tokens(root, dev):
    root.sys.create_or_update_policy(name="growing", policy='path "secret/data/grow/*" {\n'
                                     '  capabilities = ["read"]\n}\n')
    user = client(dev, new_token(root, policies=["growing"])["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.create_or_update_secret(path="grow/a", secret={"v": 1})
    root.sys.create_or_update_policy(name="growing", policy='path "secret/data/grow/*" {\n'
                                     '  capabilities = ["read", "create", "update"]\n}\n')
    assert user.secrets.kv.v2.create_or_update_secret(path="grow/a", secret={"v": 1})[
        "data"]["version"] == 1


# --- tokens ------------------------------------------------------------------

def test_token_create_and_lookups(root, dev):
    root.sys.create_or_update_policy(name="reader", policy=HCL_POLICY)
    auth = new_token(root, policies=["reader"], meta={"team": "blue"}, ttl="1h",
                     display_name="ci")
    assert auth["lease_duration"] == 3600 and auth["renewable"] is True
    assert auth["metadata"] == {"team": "blue"}
    assert auth["token_policies"] == ["default", "reader"]
    assert auth["orphan"] is False and auth["token_type"] == "service"
    assert auth["client_token"].startswith("hvs.")

    data = root.auth.token.lookup(auth["client_token"])["data"]
    assert data["id"] == auth["client_token"]
    assert data["accessor"] == auth["accessor"]
    assert data["policies"] == ["default", "reader"]
    assert data["display_name"] == "token-ci"
    assert data["meta"] == {"team": "blue"}
    assert data["creation_ttl"] == 3600 and 3590 <= data["ttl"] <= 3600
    assert data["path"] == "auth/token/create" and data["orphan"] is False
    assert data["expire_time"] and data["num_uses"] == 0

    user = client(dev, auth["client_token"])
    self_data = user.auth.token.lookup_self()["data"]
    assert self_data["accessor"] == auth["accessor"]
    by_accessor = root.auth.token.lookup_accessor(auth["accessor"])["data"]
    assert by_accessor["id"] == "" and by_accessor["policies"] == ["default", "reader"]

    # Default TTL: the token mount's 768h.
    assert new_token(root, policies=["reader"])["lease_duration"] == SYSTEM_TTL
    # The root token never expires.
    root_self = root.auth.token.lookup_self()["data"]
    assert root_self["policies"] == ["root"] and root_self["ttl"] == 0
    assert root_self["expire_time"] is None


def test_token_renew_calls(root, dev):
    auth = new_token(root, policies=["default"], ttl="10m", explicit_max_ttl="2h")
    r = root.auth.token.renew(auth["client_token"], increment="1h")
    assert r["auth"]["lease_duration"] == 3600
    user = client(dev, auth["client_token"])
    r = user.auth.token.renew_self(increment="30m")
    assert r["auth"]["lease_duration"] == 1800
    r = root.auth.token.renew_accessor(auth["accessor"], increment="5h")
    assert r["auth"]["lease_duration"] <= 7200  # capped by explicit_max_ttl
    assert any("max_ttl" in w or "capped" in w for w in r.get("warnings") or []), r
    assert root.auth.token.lookup(auth["client_token"])["data"]["explicit_max_ttl"] == 7200

    fixed = new_token(root, policies=["default"], renewable=False)
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        root.auth.token.renew(fixed["client_token"])
    assert "lease is not renewable" in str(e.value)


def test_token_revoke_calls(root, dev):
    a = new_token(root, policies=["default"])
    root.auth.token.revoke(a["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(a["client_token"])

    b = new_token(root, policies=["default"])
    client(dev, b["client_token"]).auth.token.revoke_self()
    with pytest.raises(hvac.exceptions.Forbidden):
        client(dev, b["client_token"]).auth.token.lookup_self()

    c = new_token(root, policies=["default"])
    root.auth.token.revoke_accessor(c["accessor"])
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(c["client_token"])
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.auth.token.lookup_accessor(c["accessor"])

    d = new_token(root, policies=["default"])
    keys = root.auth.token.list_accessors()["data"]["keys"]
    assert d["accessor"] in keys and c["accessor"] not in keys
    # Listing accessors needs sudo: a default-policy token is refused.
    with pytest.raises(hvac.exceptions.Forbidden):
        client(dev, d["client_token"]).auth.token.list_accessors()

    r = root.auth.token.tidy()
    assert r.status_code == 202


PARENT_POLICY = HCL_POLICY + 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n'


def test_child_revoked_with_parent_orphan_survives(root, dev):
    # Vault's default policy does not allow creating tokens: "parent" does.
    root.sys.create_or_update_policy(name="parent", policy=PARENT_POLICY)
    root.sys.create_or_update_policy(name="reader", policy=HCL_POLICY)
    parent = new_token(root, policies=["parent", "reader"])
    parent_client = client(dev, parent["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):  # reader alone may not create tokens
        client(dev, new_token(root, policies=["reader"])["client_token"]).auth.token.create()
    child = parent_client.auth.token.create(policies=["parent", "reader"])["auth"]
    grandchild = client(dev, child["client_token"]).auth.token.create()["auth"]
    assert grandchild["policies"] == ["default", "parent", "reader"]  # inherited
    # A non-root parent cannot hand out policies it does not hold.
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        parent_client.auth.token.create(policies=["reader", "json-policy"])
    assert "child policies must be subset of parent" in str(e.value)

    orphan = new_token(root, policies=["reader"], no_parent=True)
    assert orphan["orphan"] is True

    root.auth.token.revoke(parent["client_token"])
    for t in (parent, child, grandchild):
        with pytest.raises(hvac.exceptions.Forbidden):
            root.auth.token.lookup(t["client_token"])
    assert root.auth.token.lookup(orphan["client_token"])["data"]["orphan"] is True

    # revoke-orphan: the children live on as orphans.
    parent = new_token(root, policies=["parent"])
    child = client(dev, parent["client_token"]).auth.token.create()["auth"]
    root.auth.token.revoke_and_orphan_children(parent["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(parent["client_token"])
    data = root.auth.token.lookup(child["client_token"])["data"]
    assert data["orphan"] is True
    assert client(dev, child["client_token"]).auth.token.lookup_self()["data"]["id"] == \
        child["client_token"]


def test_num_uses(root, dev):
    root.sys.create_or_update_policy(name="reader", policy=HCL_POLICY)
    root.secrets.kv.v2.create_or_update_secret(path="shared/uses", secret={"v": 1})
    auth = new_token(root, policies=["reader"], num_uses=2)
    assert auth["num_uses"] == 2
    assert root.auth.token.lookup(auth["client_token"])["data"]["num_uses"] == 2
    user = client(dev, auth["client_token"])
    for _ in range(2):
        assert user.secrets.kv.v2.read_secret_version(path="shared/uses")["data"]["data"] == \
            {"v": 1}
    with pytest.raises(hvac.exceptions.Forbidden):
        user.secrets.kv.v2.read_secret_version(path="shared/uses")
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(auth["client_token"])


# --- cubbyhole --------------------------------------------------------------

def test_cubbyhole_is_private_to_its_token(root, dev):
    a = client(dev, new_token(root, policies=["default"])["client_token"])
    b = client(dev, new_token(root, policies=["default"])["client_token"])
    a.write("cubbyhole/notes/one", text="a's secret")
    a.write("cubbyhole/notes/two", text="more")
    assert a.read("cubbyhole/notes/one")["data"] == {"text": "a's secret"}
    assert a.list("cubbyhole/notes")["data"]["keys"] == ["one", "two"]

    for other in (b, root):
        assert other.read("cubbyhole/notes/one") is None
        assert other.list("cubbyhole/notes") is None
        other.delete("cubbyhole/notes/one")  # deletes its own (nothing)
    b.write("cubbyhole/notes/one", text="b's own")
    assert b.read("cubbyhole/notes/one")["data"] == {"text": "b's own"}
    assert a.read("cubbyhole/notes/one")["data"] == {"text": "a's secret"}
    root.write("cubbyhole/notes/one", text="root's own")
    assert a.read("cubbyhole/notes/one")["data"] == {"text": "a's secret"}
    root.delete("cubbyhole/notes/one")
    assert b.read("cubbyhole/notes/one")["data"] == {"text": "b's own"}


def test_revoking_a_token_destroys_its_cubbyhole(root, dev):
    # A root caller may choose a token's ID; the same ID later maps to the
    # same cubbyhole, so an empty cubbyhole proves the old one was deleted.
    token_id = "cubby-owner-token-1"
    new_token(root, id=token_id, policies=["default"])
    owner = client(dev, token_id)
    owner.write("cubbyhole/keep", value="x")
    assert owner.read("cubbyhole/keep")["data"] == {"value": "x"}
    root.auth.token.revoke(token_id)
    with pytest.raises(hvac.exceptions.Forbidden):
        owner.read("cubbyhole/keep")
    new_token(root, id=token_id, policies=["default"])
    assert owner.read("cubbyhole/keep") is None
    assert owner.list("cubbyhole/") is None


# --- mounts -----------------------------------------------------------------

def test_mounts_enable_list_tune_move_disable(root):
    root.sys.enable_secrets_engine("kv", path="team-a", description="team A",
                                   config={"default_lease_ttl": "1h", "max_lease_ttl": "2h"},
                                   options={"version": "2"})
    mounts = root.sys.list_mounted_secrets_engines()
    entry = mounts["data"]["team-a/"]
    assert mounts["team-a/"] == entry  # also at the top level, as Vault answers
    assert entry["type"] == "kv" and entry["description"] == "team A"
    assert entry["options"] == {"version": "2"}
    assert entry["config"]["default_lease_ttl"] == 3600
    assert entry["config"]["max_lease_ttl"] == 7200
    assert entry["accessor"].startswith("kv_") and entry["uuid"]
    assert {"sys/", "cubbyhole/", "secret/"} <= set(mounts["data"])

    tune = root.sys.read_mount_configuration("team-a")["data"]
    assert tune["default_lease_ttl"] == 3600 and tune["max_lease_ttl"] == 7200
    root.sys.tune_mount_configuration("team-a", default_lease_ttl="30m",
                                      max_lease_ttl="90m", description="team A, tuned")
    tune = root.sys.read_mount_configuration("team-a")["data"]
    assert tune["default_lease_ttl"] == 1800 and tune["max_lease_ttl"] == 5400
    assert tune["description"] == "team A, tuned"
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.tune_mount_configuration("team-a", default_lease_ttl="3h")  # above max
    root.sys.tune_mount_configuration("team-a", default_lease_ttl="system",
                                      max_lease_ttl="system")
    tune = root.sys.read_mount_configuration("team-a")["data"]
    assert (tune["default_lease_ttl"], tune["max_lease_ttl"]) == (SYSTEM_TTL, SYSTEM_TTL)

    root.secrets.kv.v2.create_or_update_secret(path="app", secret={"v": 1},
                                               mount_point="team-a")
    root.sys.move_backend("team-a", "team-b")
    mounts = root.sys.list_mounted_secrets_engines()["data"]
    assert "team-a/" not in mounts and mounts["team-b/"]["uuid"] == entry["uuid"]
    assert root.secrets.kv.v2.read_secret_version(path="app", mount_point="team-b")[
        "data"]["data"] == {"v": 1}
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.secrets.kv.v2.read_secret_version(path="app", mount_point="team-a")

    root.sys.disable_secrets_engine("team-b")
    assert "team-b/" not in root.sys.list_mounted_secrets_engines()["data"]
    root.sys.enable_secrets_engine("kv", path="team-b", options={"version": "2"})
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.secrets.kv.v2.read_secret_version(path="app", mount_point="team-b")
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.secrets.kv.v2.read_secret_metadata(path="app", mount_point="team-b")
    root.sys.disable_secrets_engine("team-b")


def test_default_ttls_reported_as_vault(root):
    root.sys.enable_secrets_engine("kv", path="untuned")
    try:
        entry = root.sys.list_mounted_secrets_engines()["data"]["untuned/"]
        assert entry["config"]["default_lease_ttl"] == 0  # what was set
        assert entry["config"]["max_lease_ttl"] == 0
        tune = root.sys.read_mount_configuration("untuned")["data"]
        assert tune["default_lease_ttl"] == SYSTEM_TTL  # what applies
        assert tune["max_lease_ttl"] == SYSTEM_TTL
    finally:
        root.sys.disable_secrets_engine("untuned")
    tune = root.sys.read_mount_configuration("secret")["data"]
    assert (tune["default_lease_ttl"], tune["max_lease_ttl"]) == (SYSTEM_TTL, SYSTEM_TTL)
    auth_tune = root.sys.read_auth_method_tuning("token")["data"]
    assert auth_tune["default_lease_ttl"] == SYSTEM_TTL


def test_mount_errors(root):
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        root.sys.enable_secrets_engine("no-such-engine", path="nope")
    assert "plugin not found in the catalog" in str(e.value)
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        root.sys.enable_secrets_engine("kv", path="secret")
    assert "path is already in use" in str(e.value)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.enable_secrets_engine("kv", path="secret/inner")
    for reserved in ("sys", "cubbyhole", "auth/x"):
        with pytest.raises(hvac.exceptions.InvalidRequest):
            root.sys.enable_secrets_engine("kv", path=reserved)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.move_backend("no-such-mount", "somewhere")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.disable_secrets_engine("sys")
    assert {"sys/", "cubbyhole/", "secret/"} <= set(
        root.sys.list_mounted_secrets_engines()["data"])
    assert "nope/" not in root.sys.list_mounted_secrets_engines()["data"]


def test_list_auth_methods(root):
    methods = root.sys.list_auth_methods()
    assert methods["data"]["token/"]["type"] == "token"
    assert methods["token/"] == methods["data"]["token/"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.enable_auth_method("no-such-method")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        root.sys.disable_auth_method("token")


def test_auth_mount_accessor_has_vaults_shape(root):
    # Vault names auth mount accessors auth_<type>_<8 hex> and secrets mount
    # accessors <type>_<8 hex>.
    accessor = root.sys.list_auth_methods()["data"]["token/"]["accessor"]
    assert re.fullmatch(r"auth_token_[0-9a-f]{8}", accessor), accessor
    accessor = root.sys.list_mounted_secrets_engines()["data"]["secret/"]["accessor"]
    assert re.fullmatch(r"kv_[0-9a-f]{8}", accessor), accessor


def test_hvac_authentication_helpers(root, dev):
    assert root.is_authenticated() is True
    assert client(dev, "hvs.AAAAAAAAAAAAAAAAAAAAAAAA").is_authenticated() is False
    data = root.auth.token.lookup_self()["data"]
    assert data["display_name"] == "root" and data["path"] == "auth/token/root"
    assert data["orphan"] is True and data["renewable"] is False
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        root.auth.token.renew_self()
    assert "lease is not renewable" in str(e.value)
    # hvac's default display_name is "token"; Vault prefixes it with "token-".
    auth = new_token(root, policies=["default"])
    assert root.auth.token.lookup(auth["client_token"])["data"]["display_name"] == "token-token"
    assert auth["metadata"] is None
    # Revoking a token that does not exist is not an error, as in Vault.
    root.auth.token.revoke("hvs.AAAAAAAAAAAAAAAAAAAAAAAA")
    assert root.is_authenticated() is True


def test_mount_with_only_a_max_lease_ttl(root):
    # Vault accepts a max below the system default when no default is given
    # (`vault secrets enable -max-lease-ttl=1h kv`): it only compares a
    # default that was set. Its tune read then shows the system default and
    # the mount's max, as they are stored.
    root.sys.enable_secrets_engine("kv", path="max-only", config={"max_lease_ttl": "1h"})
    try:
        tune = root.sys.read_mount_configuration("max-only")["data"]
        assert tune["max_lease_ttl"] == 3600
        root.sys.tune_mount_configuration("max-only", max_lease_ttl="30m")
        assert root.sys.read_mount_configuration("max-only")["data"]["max_lease_ttl"] == 1800
    finally:
        root.sys.disable_secrets_engine("max-only")


def test_token_ttls_follow_the_tuned_token_mount(root, dev):
    # Vault's token store takes its default and max TTL from the auth/token/
    # mount's tune (sys/auth/token/tune), as it does for every mount.
    root.sys.tune_auth_method("token", default_lease_ttl="1h", max_lease_ttl="2h")
    try:
        assert root.sys.read_auth_method_tuning("token")["data"]["default_lease_ttl"] == 3600
        auth = new_token(root, policies=["default"])
        assert auth["lease_duration"] == 3600
        capped = root.auth.token.create(policies=["default"], ttl="5h")
        assert capped["auth"]["lease_duration"] == 7200
        assert any("capped" in w for w in capped.get("warnings") or []), capped
    finally:
        root.sys.tune_auth_method("token", default_lease_ttl="system", max_lease_ttl="system")
    assert new_token(root, policies=["default"])["lease_duration"] == SYSTEM_TTL
