"""The client commands for secrets, tokens, policies and mounts (docs/cli.md)
against a real `-dev` server: login and the token file, kv on the dev
server's secret/ (v2) and on a v1 mount, read/write/list/delete, policies
with a token that is denied, the secrets and auth mount tables, and the
token commands."""
import json
import os
import re
import stat

import pytest

from harness import DevServer


@pytest.fixture
def dev():
    s = DevServer(root_token="root").start()
    yield s
    s.close()


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def table(text):
    """The Key/Value rows of a table as a dict."""
    rows = {}
    for line in text.splitlines():
        parts = re.split(r"\s{4,}", line.strip(), maxsplit=1)
        if len(parts) == 2 and parts[0] not in ("Key", "---"):
            rows[parts[0]] = parts[1]
    return rows


def test_login_stores_token_0600_and_later_commands_use_it(dev):
    out = ok(dev.cli("login", "root"))
    assert "Success! You are now authenticated." in out
    assert table(out)["token"] == "root"
    token_file = os.path.join(dev.workdir, ".tresor-token")
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    with open(token_file) as f:
        assert f.read() == "root"
    # No TRESOR_TOKEN: the stored token is used.
    assert table(ok(dev.cli("token", "lookup")))["policies"] == "[root]"
    # Login from stdin overwrites the file atomically, still 0600.
    child = ok(dev.cli("token", "create", "-field=token", token="root")).strip()
    ok(dev.cli("login", "-", input=child + "\n"))
    with open(token_file) as f:
        assert f.read() == child
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    # A bad token is refused and not stored.
    bad = dev.cli("login", "not-a-token")
    assert bad.returncode == 2 and "permission denied" in bad.stderr
    with open(token_file) as f:
        assert f.read() == child


def test_kv_v2_on_secret(dev):
    r = "root"
    put = ok(dev.cli("kv", "put", "secret/app", "user=al", "pass=one", token=r))
    assert "secret/data/app" in put and table(put)["version"] == "1"
    got = dev.cli("kv", "get", "secret/app", token=r)
    assert "== Secret Path ==" in ok(got) and "Data ==" in got.stdout
    assert table(got.stdout)["user"] == "al"
    assert ok(dev.cli("kv", "get", "-field=pass", "secret/app", token=r)) == "one\n"
    ok(dev.cli("kv", "patch", "secret/app", "pass=two", token=r))
    data = json.loads(ok(dev.cli("kv", "get", "-format=json", "secret/app", token=r)))
    assert data["data"]["data"] == {"user": "al", "pass": "two"}
    assert data["data"]["metadata"]["version"] == 2
    assert ok(dev.cli("kv", "get", "-version=1", "-field=pass", "secret/app", token=r)) == "one\n"
    assert ok(dev.cli("kv", "get", "-mount=secret", "-field=pass", "app", token=r)) == "two\n"
    # cas: version 1 is no longer current.
    assert dev.cli("kv", "put", "-cas=1", "secret/app", "x=y", token=r).returncode == 2
    assert json.loads(ok(dev.cli("kv", "list", "-format=json", "secret/", token=r))) == ["app"]

    ok(dev.cli("kv", "delete", "secret/app", token=r))
    assert dev.cli("kv", "get", "-field=pass", "secret/app", token=r).returncode != 0
    ok(dev.cli("kv", "undelete", "-versions=2", "secret/app", token=r))
    assert ok(dev.cli("kv", "get", "-field=pass", "secret/app", token=r)) == "two\n"
    ok(dev.cli("kv", "destroy", "-versions=1", "secret/app", token=r))
    meta = json.loads(ok(dev.cli("kv", "metadata", "get", "-format=json", "secret/app", token=r)))
    assert meta["data"]["versions"]["1"]["destroyed"] is True

    ok(dev.cli("kv", "metadata", "put", "-max-versions=5", "-custom-metadata=owner=al",
               "secret/app", token=r))
    meta_table = ok(dev.cli("kv", "metadata", "get", "secret/app", token=r))
    assert "== Metadata Path ==" in meta_table and "Version 2" in meta_table
    assert table(meta_table)["max_versions"] == "5"
    ok(dev.cli("kv", "metadata", "delete", "secret/app", token=r))
    gone = dev.cli("kv", "get", "secret/app", token=r)
    assert gone.returncode == 2 and "No value found at secret/data/app" in gone.stderr


def test_kv_v1_mount_and_generic_commands(dev):
    r = "root"
    ok(dev.cli("secrets", "enable", "-version=1", "-path=kv1", "kv", token=r))
    assert ok(dev.cli("kv", "put", "kv1/a", "k=v", token=r)) == "Success! Data written to: kv1/a\n"
    assert table(ok(dev.cli("kv", "get", "kv1/a", token=r)))["k"] == "v"
    assert dev.cli("kv", "patch", "kv1/a", "k=w", token=r).returncode == 1
    assert dev.cli("kv", "metadata", "get", "kv1/a", token=r).returncode == 1
    assert ok(dev.cli("kv", "list", "kv1", token=r)) == "Keys\n----\na\n"
    ok(dev.cli("kv", "delete", "kv1/a", token=r))
    assert dev.cli("kv", "get", "kv1/a", token=r).returncode == 2

    # read / write / list / delete, with a value from stdin and JSON from stdin.
    assert ok(dev.cli("write", "kv1/b", "x=1", "pw=-", token=r, input="s3cret")) == \
        "Success! Data written to: kv1/b\n"
    assert ok(dev.cli("read", "-field=pw", "kv1/b", token=r)) == "s3cret\n"
    ok(dev.cli("write", "kv1/c", "-", token=r, input='{"n": 1}'))
    assert json.loads(ok(dev.cli("read", "-format=json", "kv1/c", token=r)))["data"] == {"n": 1}
    assert ok(dev.cli("list", "kv1/", token=r)) == "Keys\n----\nb\nc\n"
    assert ok(dev.cli("delete", "kv1/b", token=r)) == \
        "Success! Data deleted (if it existed) at: kv1/b\n"
    missing = dev.cli("read", "kv1/b", token=r)
    assert missing.returncode == 2 and missing.stderr == "No value found at kv1/b\n"
    empty = dev.cli("list", "kv1/nothing", token=r)
    assert empty.returncode == 2 and "No value found at kv1/nothing/" in empty.stderr


def test_policy_and_denied_read(dev, tmp_path):
    r = "root"
    ok(dev.cli("kv", "put", "secret/open", "a=1", token=r))
    ok(dev.cli("kv", "put", "secret/closed", "a=2", token=r))
    policy = tmp_path / "reader.hcl"
    policy.write_text('path "secret/data/open" {capabilities=["read"]}\n')
    assert ok(dev.cli("policy", "fmt", str(policy))) == f"Success! Formatted policy: {policy}\n"
    assert policy.read_text() == 'path "secret/data/open" {\n  capabilities = ["read"]\n}\n'
    assert ok(dev.cli("policy", "write", "reader", str(policy), token=r)) == \
        "Success! Uploaded policy: reader\n"
    assert 'path "secret/data/open"' in ok(dev.cli("policy", "read", "reader", token=r))
    assert "reader" in ok(dev.cli("policy", "list", token=r)).split()

    child = ok(dev.cli("token", "create", "-policy=reader", "-field=token", token=r)).strip()
    assert ok(dev.cli("read", "-field=data", "secret/data/open", token=child)) == "map[a:1]\n"
    denied = dev.cli("read", "secret/data/closed", token=child)
    assert denied.returncode == 2  # Vault's read exits 2 on an API error
    assert "Code: 403" in denied.stderr and "permission denied" in denied.stderr
    assert dev.cli("kv", "get", "secret/closed", token=child).returncode == 2
    assert ok(dev.cli("token", "capabilities", child, "secret/data/open", token=r)) == "read\n"

    assert ok(dev.cli("policy", "delete", "reader", token=r)) == "Success! Deleted policy: reader\n"
    gone = dev.cli("policy", "read", "reader", token=r)
    assert gone.returncode == 2 and "No policy named: reader" in gone.stderr


def test_secrets_and_auth_tables(dev):
    r = "root"
    ok(dev.cli("secrets", "enable", "-path=kv1", "-description=first", "kv", token=r))
    mounts = json.loads(ok(dev.cli("secrets", "list", "-format=json", token=r)))
    assert mounts["kv1/"]["type"] == "kv" and mounts["kv1/"]["description"] == "first"
    ok(dev.cli("secrets", "tune", "-default-lease-ttl=1h", "-max-lease-ttl=2h", "kv1", token=r))
    detailed = ok(dev.cli("secrets", "list", "-detailed", token=r))
    assert re.search(r"kv1/\s+kv\s+\S+\s+1h\s+2h", detailed), detailed
    ok(dev.cli("kv", "put", "kv1/x", "a=b", token=r))
    assert "kv2/" in ok(dev.cli("secrets", "move", "kv1", "kv2", token=r))

    def moved():
        return "kv2/" in json.loads(ok(dev.cli("secrets", "list", "-format=json", token=r)))
    from harness import wait_for
    wait_for(moved, what="the mount to move")
    assert ok(dev.cli("read", "-field=a", "kv2/x", token=r)) == "b\n"
    assert ok(dev.cli("secrets", "disable", "kv2", token=r)) == \
        "Success! Disabled the secrets engine (if it existed) at: kv2/\n"
    assert "kv2/" not in ok(dev.cli("secrets", "list", token=r))

    auth = ok(dev.cli("auth", "list", token=r))
    assert re.search(r"^token/\s+token\s", auth, re.M), auth
    assert "token/" in json.loads(ok(dev.cli("auth", "list", "-format=json", token=r)))


def test_token_lifecycle(dev):
    r = "root"
    created = json.loads(ok(dev.cli("token", "create", "-ttl=1h", "-metadata=team=ops",
                                    "-display-name=ci", "-format=json", token=r)))
    token = created["auth"]["client_token"]
    accessor = created["auth"]["accessor"]
    looked = table(ok(dev.cli("token", "lookup", token, token=r)))
    assert looked["accessor"] == accessor and looked["display_name"] == "token-ci"
    by_accessor = table(ok(dev.cli("token", "lookup", "-accessor", accessor, token=r)))
    assert by_accessor["accessor"] == accessor
    renewed = table(ok(dev.cli("token", "renew", "-increment=30m", token, token=r)))
    assert renewed["token_duration"] == "30m"
    assert table(ok(dev.cli("token", "lookup", token=token)))["accessor"] == accessor

    # An expiring root-policy token may only create expiring tokens (as in Vault).
    orphan = ok(dev.cli("token", "create", "-orphan", "-ttl=1h", "-field=token",
                        token=token)).strip()
    ok(dev.cli("token", "revoke", token, token=r))
    assert dev.cli("token", "lookup", token, token=r).returncode == 2
    assert table(ok(dev.cli("token", "lookup", token=orphan)))["orphan"] == "true"
    assert ok(dev.cli("token", "revoke", "-self", token=orphan)) == \
        "Success! Revoked token (if it existed)\n"
    assert dev.cli("token", "lookup", token=orphan).returncode == 2
