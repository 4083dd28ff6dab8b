"""Everything the engines store survives a restart of the real binary on file
storage: KV v1 and v2 secrets (with versions, deletions and metadata),
policies, tokens (with their trees, remaining uses and revocations), mounts
(including a tuned and a moved one, and not a disabled one) and cubbyhole
entries. Checked after SIGTERM and again after kill -9 (where every write
that was acknowledged must be there), and still enforced: a reader token
still cannot write, a revoked token stays revoked, a parent's revocation
still reaches its child.

Driven through hvac 0.11.2, as a Vault client would.
"""
import hvac
import pytest

from hvac_support import client

HCL = 'path "kv2/data/app/*" {\n  capabilities = ["read"]\n}\n' \
      'path "kv1/app/*" {\n  capabilities = ["read", "list"]\n}\n' \
      'path "auth/token/create" {\n  capabilities = ["update"]\n}\n'


def unsealed_root(server, init):
    server.unseal(init["keys"])
    return client(server, init["root_token"])


def populate(root, server):
    """Writes one of everything; returns what verify() checks."""
    s = {"cfg_version": 3}
    root.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    root.secrets.kv.v1.create_or_update_secret(path="app/db", secret={"user": "u", "pw": "p"},
                                               mount_point="kv1")
    root.sys.enable_secrets_engine("kv", path="kv2", options={"version": "2"})
    for i in (1, 2, 3):
        root.secrets.kv.v2.create_or_update_secret(path="app/cfg", secret={"v": i},
                                                   mount_point="kv2")
    root.secrets.kv.v2.delete_secret_versions(path="app/cfg", versions=[1], mount_point="kv2")
    root.secrets.kv.v2.destroy_secret_versions(path="app/cfg", versions=[2], mount_point="kv2")
    root.secrets.kv.v2.update_metadata(path="app/cfg", max_versions=5, cas_required=True,
                                       mount_point="kv2")
    root.secrets.kv.v2.configure(max_versions=7, mount_point="kv2")

    root.sys.enable_secrets_engine("kv", path="tuned", description="tuned one")
    root.sys.tune_mount_configuration("tuned", default_lease_ttl="1h", max_lease_ttl="3h")
    root.sys.enable_secrets_engine("kv", path="before-move", options={"version": "1"})
    root.secrets.kv.v1.create_or_update_secret(path="m", secret={"moved": "yes"},
                                               mount_point="before-move")
    root.sys.move_backend("before-move", "after-move")
    root.sys.enable_secrets_engine("kv", path="dropped", options={"version": "1"})
    root.secrets.kv.v1.create_or_update_secret(path="d", secret={"x": "y"},
                                               mount_point="dropped")
    root.sys.disable_secrets_engine("dropped")

    root.sys.create_or_update_policy(name="reader", policy=HCL)
    reader = root.auth.token.create(policies=["reader"], ttl="2h")["auth"]
    s["reader"] = reader["client_token"]
    s["reader_accessor"] = reader["accessor"]
    s["child"] = client(server, s["reader"]).auth.token.create()["auth"]["client_token"]
    s["orphan"] = root.auth.token.create(policies=["reader"], no_parent=True)["auth"][
        "client_token"]
    revoked = root.auth.token.create(policies=["reader"])["auth"]["client_token"]
    root.auth.token.revoke(revoked)
    s["revoked"] = revoked
    limited = root.auth.token.create(policies=["reader"], num_uses=3)["auth"]["client_token"]
    client(server, limited).secrets.kv.v1.read_secret(path="app/db", mount_point="kv1")
    s["limited"] = limited

    client(server, s["reader"]).write("cubbyhole/private", note="reader's")
    root.write("cubbyhole/private", note="root's")
    return s


def verify(root, server, s):
    kv1 = root.secrets.kv.v1
    kv2 = root.secrets.kv.v2
    assert kv1.read_secret(path="app/db", mount_point="kv1")["data"] == {"user": "u", "pw": "p"}
    assert kv2.read_secret_version(path="app/cfg", mount_point="kv2")["data"]["data"] == {"v": 3}
    meta = kv2.read_secret_metadata(path="app/cfg", mount_point="kv2")["data"]
    assert meta["current_version"] == s["cfg_version"] and meta["max_versions"] == 5
    assert meta["cas_required"] is True
    assert meta["versions"]["1"]["deletion_time"] != ""
    assert meta["versions"]["2"]["destroyed"] is True
    for v in (1, 2):
        with pytest.raises(hvac.exceptions.InvalidPath):
            kv2.read_secret_version(path="app/cfg", version=v, mount_point="kv2")
    assert kv2.read_configuration(mount_point="kv2")["data"]["max_versions"] == 7
    with pytest.raises(hvac.exceptions.InvalidRequest):  # cas_required still enforced
        kv2.create_or_update_secret(path="app/cfg", secret={"v": 9}, mount_point="kv2")

    mounts = root.sys.list_mounted_secrets_engines()["data"]
    assert mounts["kv1/"]["options"] == {"version": "1"}
    assert mounts["kv2/"]["options"] == {"version": "2"}
    assert mounts["tuned/"]["description"] == "tuned one"
    assert "before-move/" not in mounts and "dropped/" not in mounts
    tune = root.sys.read_mount_configuration("tuned")["data"]
    assert (tune["default_lease_ttl"], tune["max_lease_ttl"]) == (3600, 10800)
    assert kv1.read_secret(path="m", mount_point="after-move")["data"] == {"moved": "yes"}

    assert root.sys.read_policy(name="reader")["data"]["rules"] == HCL
    reader = client(server, s["reader"])
    data = reader.auth.token.lookup_self()["data"]
    assert data["policies"] == ["default", "reader"] and data["accessor"] == s["reader_accessor"]
    assert reader.secrets.kv.v2.read_secret_version(path="app/cfg", mount_point="kv2")[
        "data"]["data"] == {"v": 3}
    with pytest.raises(hvac.exceptions.Forbidden):
        reader.secrets.kv.v2.create_or_update_secret(path="app/cfg", secret={"v": 9},
                                                     cas=s["cfg_version"],
                                                     mount_point="kv2")
    with pytest.raises(hvac.exceptions.Forbidden):
        reader.secrets.kv.v1.create_or_update_secret(path="app/db", secret={"x": "y"},
                                                     method="PUT", mount_point="kv1")
    assert root.auth.token.lookup(s["child"])["data"]["orphan"] is False
    assert root.auth.token.lookup(s["orphan"])["data"]["orphan"] is True
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(s["revoked"])
    with pytest.raises(hvac.exceptions.Forbidden):
        client(server, s["revoked"]).secrets.kv.v1.read_secret(path="app/db",
                                                               mount_point="kv1")
    assert root.auth.token.lookup(s["limited"])["data"]["num_uses"] == s["limited_uses"]
    assert s["reader_accessor"] in root.auth.token.list_accessors()["data"]["keys"]

    assert reader.read("cubbyhole/private")["data"] == {"note": "reader's"}
    assert root.read("cubbyhole/private")["data"] == {"note": "root's"}
    assert client(server, s["orphan"]).read("cubbyhole/private") is None


def test_everything_survives_sigterm_and_kill_9(unsealed):
    server, init = unsealed
    root = client(server, init["root_token"])
    state = populate(root, server)
    state["limited_uses"] = root.auth.token.lookup(state["limited"])["data"]["num_uses"]
    assert state["limited_uses"] == 2
    verify(root, server, state)

    # SIGTERM: a clean shutdown, then the server comes back sealed.
    server.restart()
    assert server.seal_status()["sealed"] is True
    with pytest.raises(hvac.exceptions.VaultDown):
        root.secrets.kv.v1.read_secret(path="app/db", mount_point="kv1")
    root = unsealed_root(server, init)
    verify(root, server, state)

    # Acknowledged writes, then kill -9 with no chance to flush anything.
    root.secrets.kv.v2.create_or_update_secret(path="app/cfg", secret={"v": 4}, cas=3,
                                               mount_point="kv2")
    root.secrets.kv.v1.create_or_update_secret(path="app/late", secret={"late": "1"},
                                               mount_point="kv1")
    root.sys.create_or_update_policy(name="late", policy=HCL)
    late = root.auth.token.create(policies=["late"])["auth"]["client_token"]
    root.sys.enable_secrets_engine("kv", path="late-mount", options={"version": "2"})
    root.secrets.kv.v2.create_or_update_secret(path="x", secret={"y": "z"},
                                               mount_point="late-mount")
    client(server, late).write("cubbyhole/late", v="1")
    root.auth.token.revoke(state["orphan"])
    assert server.kill() == -9
    server.start()
    root = unsealed_root(server, init)

    kv2 = root.secrets.kv.v2
    assert kv2.read_secret_version(path="app/cfg", mount_point="kv2")["data"]["data"] == {"v": 4}
    assert root.secrets.kv.v1.read_secret(path="app/late", mount_point="kv1")["data"] == \
        {"late": "1"}
    assert root.sys.read_policy(name="late")["data"]["rules"] == HCL
    assert root.auth.token.lookup(late)["data"]["policies"] == ["default", "late"]
    assert kv2.read_secret_version(path="x", mount_point="late-mount")["data"]["data"] == \
        {"y": "z"}
    assert client(server, late).read("cubbyhole/late")["data"] == {"v": "1"}
    with pytest.raises(hvac.exceptions.Forbidden):
        root.auth.token.lookup(state["orphan"])
    kv2.create_or_update_secret(path="app/cfg", secret={"v": 3}, cas=4, mount_point="kv2")
    state["cfg_version"] = 5
    state["orphan"] = root.auth.token.create(policies=["reader"], no_parent=True)["auth"][
        "client_token"]
    verify(root, server, state)

    # A parent's revocation still reaches the child it had before the restarts,
    # and the child's cubbyhole goes with it.
    client(server, state["child"]).write("cubbyhole/c", v="1")
    root.auth.token.revoke(state["reader"])
    for t in (state["reader"], state["child"]):
        with pytest.raises(hvac.exceptions.Forbidden):
            root.auth.token.lookup(t)


def test_disabled_mount_data_swept_on_restart(unsealed):
    """A mount disabled before a restart stays gone and its path can be reused
    empty, after SIGTERM and after kill -9."""
    server, init = unsealed
    root = client(server, init["root_token"])
    for restart in ("sigterm", "kill"):
        root.sys.enable_secrets_engine("kv", path="temp", options={"version": "1"})
        root.secrets.kv.v1.create_or_update_secret(path="k", secret={"v": restart},
                                                   mount_point="temp")
        root.sys.disable_secrets_engine("temp")
        if restart == "sigterm":
            server.restart()
        else:
            assert server.kill() == -9
            server.start()
        root = unsealed_root(server, init)
        assert "temp/" not in root.sys.list_mounted_secrets_engines()["data"]
        root.sys.enable_secrets_engine("kv", path="temp", options={"version": "1"})
        with pytest.raises(hvac.exceptions.InvalidPath):
            root.secrets.kv.v1.read_secret(path="k", mount_point="temp")
        root.sys.disable_secrets_engine("temp")
