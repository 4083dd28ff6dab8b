"""KV v1 and v2 through a real third-party Vault client: Debian's hvac 0.11.2
against the real binary (`tresor server -dev`, which mounts KV v2 at secret/
as Vault's dev server does).

Covers docs/kv.md: versions, check-and-set, hvac's read-then-write patch and
a real merge-patch, list, soft delete / undelete / destroy, metadata,
max_versions pruning, cas_required (per key and per mount), mount config;
KV v1 on a mount enabled with options version=1; hvac's generic
read/write/list/delete; and the bare 404 {"errors":[]} of an empty LIST.
"""
import hvac
import pytest
import requests

from hvac_support import ROOT_TOKEN



def kv2(c):
    return c.secrets.kv.v2


# --- KV v2 ---------------------------------------------------------------

def test_dev_server_mounts_kv_v2_at_secret(root):
    mounts = root.sys.list_mounted_secrets_engines()["data"]
    assert mounts["secret/"]["type"] == "kv"
    assert mounts["secret/"]["options"] == {"version": "2"}
    assert root.sys.retrieve_mount_option("secret", "version") == "2"


def test_v2_write_read_versions(root):
    first = kv2(root).create_or_update_secret(path="app/one", secret={"a": "1"})
    assert first["data"]["version"] == 1
    assert first["data"]["destroyed"] is False and first["data"]["deletion_time"] == ""
    assert first["data"]["created_time"].endswith("Z")
    second = kv2(root).create_or_update_secret(path="app/one", secret={"a": "2", "b": [1, 2]})
    assert second["data"]["version"] == 2

    latest = kv2(root).read_secret_version(path="app/one")
    assert latest["data"]["data"] == {"a": "2", "b": [1, 2]}
    assert latest["data"]["metadata"]["version"] == 2
    old = kv2(root).read_secret_version(path="app/one", version=1)
    assert old["data"]["data"] == {"a": "1"}
    assert old["data"]["metadata"]["version"] == 1
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).read_secret_version(path="app/one", version=3)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).read_secret_version(path="app/never-written")


def test_v2_check_and_set(root):
    # cas=0: only when the key has no version yet.
    r = kv2(root).create_or_update_secret(path="app/cas", secret={"v": 1}, cas=0)
    assert r["data"]["version"] == 1
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        kv2(root).create_or_update_secret(path="app/cas", secret={"v": 2}, cas=0)
    assert "check-and-set parameter did not match the current version" in str(e.value)
    r = kv2(root).create_or_update_secret(path="app/cas", secret={"v": 2}, cas=1)
    assert r["data"]["version"] == 2
    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv2(root).create_or_update_secret(path="app/cas", secret={"v": 3}, cas=1)
    assert kv2(root).read_secret_version(path="app/cas")["data"]["data"] == {"v": 2}


def test_v2_patch_with_hvac_and_merge_patch(root, dev):
    kv2(root).create_or_update_secret(path="app/patch", secret={"a": "1", "b": "2"})
    # hvac 0.11.2 patches by reading and writing back with cas.
    r = kv2(root).patch(path="app/patch", secret={"b": "two", "c": "3"})
    assert r["data"]["version"] == 2
    assert kv2(root).read_secret_version(path="app/patch")["data"]["data"] == \
        {"a": "1", "b": "two", "c": "3"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).patch(path="app/no-such-secret", secret={"x": "y"})

    # The real PATCH (RFC 7386): null removes a key.
    r = dev.api("PATCH", "secret/data/app/patch", {"data": {"a": None, "d": "4"}},
                token=ROOT_TOKEN, headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r
    assert r.json["data"]["version"] == 3
    assert kv2(root).read_secret_version(path="app/patch")["data"]["data"] == \
        {"b": "two", "c": "3", "d": "4"}
    r = dev.api("PATCH", "secret/data/app/patch", {"data": {"e": "5"}}, token=ROOT_TOKEN,
                headers={"Content-Type": "application/json"})
    assert r.status == 415, r
    assert "merge-patch+json" in r.errors[0]


def test_v2_list_secrets(root, dev):
    for path in ("tree/a", "tree/b", "tree/sub/c", "tree/sub/deeper/d"):
        kv2(root).create_or_update_secret(path=path, secret={"k": path})
    assert kv2(root).list_secrets(path="tree")["data"]["keys"] == ["a", "b", "sub/"]
    assert kv2(root).list_secrets(path="tree/sub")["data"]["keys"] == ["c", "deeper/"]
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).list_secrets(path="tree/empty")
    # An empty LIST is Vault's bare 404.
    r = dev.api("LIST", "secret/metadata/tree/empty/", token=ROOT_TOKEN)
    assert r.status == 404, r
    assert r.json == {"errors": []}


def test_v2_delete_undelete_destroy(root, dev):
    path = "app/lifecycle"
    for i in (1, 2, 3):
        kv2(root).create_or_update_secret(path=path, secret={"v": i})

    kv2(root).delete_latest_version_of_secret(path=path)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).read_secret_version(path=path)
    # Vault's shape for a deleted version: 404 that still carries metadata.
    r = dev.api("GET", f"secret/data/{path}", token=ROOT_TOKEN)
    assert r.status == 404, r
    assert r.json["data"]["data"] is None
    assert r.json["data"]["metadata"]["version"] == 3
    assert r.json["data"]["metadata"]["deletion_time"] != ""
    assert kv2(root).read_secret_version(path=path, version=2)["data"]["data"] == {"v": 2}

    kv2(root).delete_secret_versions(path=path, versions=[1, 2])
    for v in (1, 2):
        with pytest.raises(hvac.exceptions.InvalidPath):
            kv2(root).read_secret_version(path=path, version=v)

    kv2(root).undelete_secret_versions(path=path, versions=[1, 3])
    assert kv2(root).read_secret_version(path=path, version=1)["data"]["data"] == {"v": 1}
    assert kv2(root).read_secret_version(path=path)["data"]["data"] == {"v": 3}
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).read_secret_version(path=path, version=2)

    kv2(root).destroy_secret_versions(path=path, versions=[2, 3])
    kv2(root).undelete_secret_versions(path=path, versions=[2, 3])  # no effect on destroyed
    for v in (2, 3):
        with pytest.raises(hvac.exceptions.InvalidPath):
            kv2(root).read_secret_version(path=path, version=v)
    r = dev.api("GET", f"secret/data/{path}?version=3", token=ROOT_TOKEN)
    assert r.status == 404 and r.json["data"]["metadata"]["destroyed"] is True, r

    meta = kv2(root).read_secret_metadata(path=path)["data"]
    assert meta["current_version"] == 3
    assert meta["oldest_version"] == 0
    assert set(meta["versions"]) == {"1", "2", "3"}
    assert meta["versions"]["1"] == {**meta["versions"]["1"], "destroyed": False,
                                     "deletion_time": ""}
    assert meta["versions"]["2"]["destroyed"] is True
    assert meta["versions"]["3"]["destroyed"] is True
    assert meta["versions"]["2"]["deletion_time"] != ""  # deleted before it was destroyed
    assert meta["max_versions"] == 0 and meta["cas_required"] is False
    assert meta["created_time"].endswith("Z") and meta["updated_time"].endswith("Z")


def test_v2_metadata_max_versions_prunes(root):
    path = "app/pruned"
    for i in (1, 2, 3):
        kv2(root).create_or_update_secret(path=path, secret={"v": i})
    kv2(root).update_metadata(path=path, max_versions=2)
    meta = kv2(root).read_secret_metadata(path=path)["data"]
    assert meta["max_versions"] == 2
    # A lowered max_versions takes effect at the next write.
    kv2(root).create_or_update_secret(path=path, secret={"v": 4})
    meta = kv2(root).read_secret_metadata(path=path)["data"]
    assert set(meta["versions"]) == {"3", "4"}
    assert meta["current_version"] == 4 and meta["oldest_version"] == 3
    for v in (1, 2):
        with pytest.raises(hvac.exceptions.InvalidPath):
            kv2(root).read_secret_version(path=path, version=v)
    assert kv2(root).read_secret_version(path=path, version=3)["data"]["data"] == {"v": 3}
    kv2(root).create_or_update_secret(path=path, secret={"v": 5})
    assert set(kv2(root).read_secret_metadata(path=path)["data"]["versions"]) == {"4", "5"}


def test_v2_metadata_cas_required(root):
    path = "app/cas-required"
    kv2(root).create_or_update_secret(path=path, secret={"v": 1})
    kv2(root).update_metadata(path=path, cas_required=True)
    assert kv2(root).read_secret_metadata(path=path)["data"]["cas_required"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        kv2(root).create_or_update_secret(path=path, secret={"v": 2})
    assert "check-and-set parameter required for this call" in str(e.value)
    assert kv2(root).create_or_update_secret(path=path, secret={"v": 2}, cas=1)[
        "data"]["version"] == 2
    # hvac's patch sends cas, so it works under cas_required.
    kv2(root).patch(path=path, secret={"w": 3})
    assert kv2(root).read_secret_version(path=path)["data"]["data"] == {"v": 2, "w": 3}
    kv2(root).update_metadata(path=path, cas_required=False)
    assert kv2(root).create_or_update_secret(path=path, secret={"v": 4})["data"]["version"] == 4


def test_v2_metadata_created_before_any_version(root):
    kv2(root).update_metadata(path="app/meta-first", max_versions=3, cas_required=True)
    meta = kv2(root).read_secret_metadata(path="app/meta-first")["data"]
    assert meta["current_version"] == 0 and meta["versions"] == {}
    assert meta["max_versions"] == 3 and meta["cas_required"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv2(root).create_or_update_secret(path="app/meta-first", secret={"v": 1})
    assert kv2(root).create_or_update_secret(path="app/meta-first", secret={"v": 1}, cas=0)[
        "data"]["version"] == 1


def test_v2_delete_metadata_and_all_versions(root):
    path = "gone/key"
    kv2(root).create_or_update_secret(path=path, secret={"v": 1})
    kv2(root).create_or_update_secret(path=path, secret={"v": 2})
    kv2(root).create_or_update_secret(path="gone/other", secret={"v": 1})
    kv2(root).delete_metadata_and_all_versions(path=path)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).read_secret_metadata(path=path)
    for v in (None, 1, 2):
        with pytest.raises(hvac.exceptions.InvalidPath):
            kv2(root).read_secret_version(path=path, version=v)
    assert kv2(root).list_secrets(path="gone")["data"]["keys"] == ["other"]
    # Writing again starts over at version 1.
    assert kv2(root).create_or_update_secret(path=path, secret={"v": 3})["data"]["version"] == 1


def test_v2_mount_configuration(root):
    root.sys.enable_secrets_engine("kv", path="kv2conf", options={"version": "2"})
    try:
        conf = kv2(root).read_configuration(mount_point="kv2conf")["data"]
        assert conf["max_versions"] == 0 and conf["cas_required"] is False
        assert conf["delete_version_after"] == "0s"

        kv2(root).configure(max_versions=2, cas_required=True, mount_point="kv2conf")
        conf = kv2(root).read_configuration(mount_point="kv2conf")["data"]
        assert conf["max_versions"] == 2 and conf["cas_required"] is True

        with pytest.raises(hvac.exceptions.InvalidRequest) as e:
            kv2(root).create_or_update_secret(path="k", secret={"v": 1}, mount_point="kv2conf")
        assert "check-and-set parameter required" in str(e.value)
        for i in range(4):
            kv2(root).create_or_update_secret(path="k", secret={"v": i}, cas=i,
                                              mount_point="kv2conf")
        meta = kv2(root).read_secret_metadata(path="k", mount_point="kv2conf")["data"]
        assert set(meta["versions"]) == {"3", "4"}

        kv2(root).configure(max_versions=0, cas_required=False, delete_version_after="1h",
                            mount_point="kv2conf")
        conf = kv2(root).read_configuration(mount_point="kv2conf")["data"]
        assert conf == {**conf, "max_versions": 0, "cas_required": False,
                        "delete_version_after": "1h0m0s"}
        r = kv2(root).create_or_update_secret(path="k2", secret={"v": 1}, mount_point="kv2conf")
        assert r["data"]["deletion_time"] != ""  # deleted an hour from now
        assert kv2(root).read_secret_version(path="k2", mount_point="kv2conf")[
            "data"]["data"] == {"v": 1}
    finally:
        root.sys.disable_secrets_engine("kv2conf")


# --- KV v1 -----------------------------------------------------------------

@pytest.fixture
def kv1(root):
    root.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    yield root.secrets.kv.v1
    root.sys.disable_secrets_engine("kv1")


def test_v1_cycle(root, kv1, dev):
    mounts = root.sys.list_mounted_secrets_engines()["data"]
    assert mounts["kv1/"]["type"] == "kv" and mounts["kv1/"]["options"] == {"version": "1"}

    kv1.create_or_update_secret(path="app/db", secret={"user": "u", "pass": "p"},
                                mount_point="kv1")
    r = kv1.read_secret(path="app/db", mount_point="kv1")
    assert r["data"] == {"user": "u", "pass": "p"}
    assert r["lease_duration"] == 2764800 and r["renewable"] is False
    # Replaces, no merge (hvac chooses PUT now that the secret exists).
    kv1.create_or_update_secret(path="app/db", secret={"user": "v"}, mount_point="kv1")
    assert kv1.read_secret(path="app/db", mount_point="kv1")["data"] == {"user": "v"}
    kv1.create_or_update_secret(path="app/cache", secret={"ttl": "1h", "x": "y"},
                                method="POST", mount_point="kv1")
    r = kv1.read_secret(path="app/cache", mount_point="kv1")
    assert r["lease_duration"] == 3600 and r["data"] == {"ttl": "1h", "x": "y"}
    kv1.create_or_update_secret(path="app/nested/deep", secret={"z": 1}, method="PUT",
                                mount_point="kv1")

    assert kv1.list_secrets(path="app", mount_point="kv1")["data"]["keys"] == \
        ["cache", "db", "nested/"]
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv1.list_secrets(path="nothing", mount_point="kv1")
    r = dev.api("LIST", "kv1/nothing/", token=ROOT_TOKEN)
    assert r.status == 404 and r.json == {"errors": []}, r

    kv1.delete_secret(path="app/db", mount_point="kv1")
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv1.read_secret(path="app/db", mount_point="kv1")
    kv1.delete_secret(path="app/db", mount_point="kv1")  # deleting nothing is fine
    assert kv1.list_secrets(path="app", mount_point="kv1")["data"]["keys"] == \
        ["cache", "nested/"]


def test_v1_refuses_empty_write(kv1):
    with pytest.raises(hvac.exceptions.InvalidRequest) as e:
        kv1.create_or_update_secret(path="empty", secret={}, method="POST", mount_point="kv1")
    assert "missing data fields" in str(e.value)


def test_generic_type_is_kv_v1(root):
    root.sys.enable_secrets_engine("generic", path="old")
    try:
        root.secrets.kv.v1.create_or_update_secret(path="a", secret={"b": "c"},
                                                   mount_point="old")
        assert root.secrets.kv.v1.read_secret(path="a", mount_point="old")["data"] == \
            {"b": "c"}
        assert root.sys.list_mounted_secrets_engines()["data"]["old/"]["type"] == "generic"
    finally:
        root.sys.disable_secrets_engine("old")


# --- hvac's generic read / write / list / delete ------------------------------

def test_generic_client_calls_on_v1(root, kv1):
    root.write("kv1/gen/one", foo="bar", n=3)
    root.write("kv1/gen/two", foo="baz")
    assert root.read("kv1/gen/one")["data"] == {"foo": "bar", "n": 3}
    # hvac lists with GET ?list=True.
    assert root.list("kv1/gen")["data"]["keys"] == ["one", "two"]
    root.delete("kv1/gen/one")
    assert root.read("kv1/gen/one") is None
    assert root.list("kv1/gen")["data"]["keys"] == ["two"]
    root.delete("kv1/gen/two")
    assert root.list("kv1/gen") is None


def test_generic_client_calls_on_v2(root):
    r = root.write("secret/data/gen/x", data={"k": "v"})
    assert r["data"]["version"] == 1
    assert root.read("secret/data/gen/x")["data"]["data"] == {"k": "v"}
    assert root.read("secret/data/gen/missing") is None
    assert root.list("secret/metadata/gen")["data"]["keys"] == ["x"]
    root.delete("secret/metadata/gen/x")
    assert root.read("secret/data/gen/x") is None
    assert root.list("secret/metadata/gen") is None
    # A v1-style path on a v2 mount: 404 with Vault's hint.
    assert root.read("secret/gen/x") is None


@pytest.mark.parametrize("method,path", [
    ("LIST", "secret/metadata/no-such-folder/"),
    ("LIST", "cubbyhole/no-such-folder/"),
    ("GET", "secret/metadata/no-such-folder/?list=true"),
])
def test_empty_list_is_bare_404(dev, method, path):
    r = requests.request(method, f"{dev.address}/v1/{path}",
                         headers={"X-Vault-Token": ROOT_TOKEN}, timeout=30)
    assert r.status_code == 404, r.text
    assert r.json() == {"errors": []}
    assert r.headers["Content-Type"].startswith("application/json")


def test_v2_paths_with_spaces_and_unicode(root, dev):
    # hvac percent-encodes paths; the server must decode them once.
    path = "odd names/with space/grüße"
    kv2(root).create_or_update_secret(path=path, secret={"ok": "yes"})
    assert kv2(root).read_secret_version(path=path)["data"]["data"] == {"ok": "yes"}
    assert kv2(root).list_secrets(path="odd names")["data"]["keys"] == ["with space/"]
    assert kv2(root).list_secrets(path="odd names/with space")["data"]["keys"] == ["grüße"]
    r = dev.api("GET", "secret/data/odd%20names/with%20space/gr%C3%BC%C3%9Fe", token=ROOT_TOKEN)
    assert r.status == 200 and r.json["data"]["data"] == {"ok": "yes"}, r
    kv2(root).delete_metadata_and_all_versions(path=path)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv2(root).list_secrets(path="odd names")


def test_v1_lease_duration_follows_the_mounts_tuned_default(root):
    # Vault's KV v1 answers lease_duration = the mount's default lease TTL
    # (System().DefaultLeaseTTL()) when the secret has no ttl field; 768h only
    # when the mount is not tuned.
    root.sys.enable_secrets_engine("kv", path="kv1-tuned", options={"version": "1"},
                                   config={"default_lease_ttl": "1h"})
    try:
        root.secrets.kv.v1.create_or_update_secret(path="a", secret={"b": "c"},
                                                   mount_point="kv1-tuned")
        r = root.secrets.kv.v1.read_secret(path="a", mount_point="kv1-tuned")
        assert r["lease_duration"] == 3600, r
        root.sys.tune_mount_configuration("kv1-tuned", default_lease_ttl="2h")
        r = root.secrets.kv.v1.read_secret(path="a", mount_point="kv1-tuned")
        assert r["lease_duration"] == 7200, r
    finally:
        root.sys.disable_secrets_engine("kv1-tuned")
