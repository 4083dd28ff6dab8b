"""The userpass auth method (docs/auth-userpass.md) on the real binary with
file storage: enabling it (CLI and hvac), users with policies and TTLs,
logins through hvac and `tresor login -method=userpass` (the token's
policies, display name, metadata and the mount's tuned TTLs), failed logins
that do not tell an unknown user from a wrong password, passwords kept out of
storage files, responses and logs, disable/re-enable, a restart, and bad
input.
"""
import json
import os
import stat

import hvac
import pytest

from harness import TresorServer
from hvac_support import client

# Distinctive bytes to look for in storage files and logs.
PASSWORD = "pw-Zq7-correct-horse-31337"
OTHER_PASSWORD = "pw-Kx2-battery-staple-4242"
WRONG_PASSWORD = "pw-Wr0ng-guess-8080"

READER_HCL = 'path "kv1/*" {\n  capabilities = ["read", "list"]\n}\n'
INVALID = ["invalid username or password"]
DEFAULT_MAX_TTL = 768 * 3600


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture
def traced():
    """An unsealed file-storage server logging at trace level; yields
    (server, root token)."""
    s = TresorServer(storage="file")
    s.write_config(log_level="trace")
    s.start()
    init = s.init(1, 1)
    s.unseal_keys = init["keys"]
    s.unseal(s.unseal_keys)
    yield s, init["root_token"]
    s.close()


def login(server, username, password, mount="userpass"):
    return server.api("POST", f"auth/{mount}/login/{username}", {"password": password})


def lookup_self(server, token):
    r = server.api("GET", "auth/token/lookup-self", token=token)
    assert r.status == 200, r
    return r.json["data"]


def enable_with_user(server, root, username="alice", **fields):
    r = server.api("POST", "sys/auth/userpass", {"type": "userpass"}, token=root)
    assert r.status == 204, r
    r = server.api("POST", f"auth/userpass/users/{username}",
                   {"password": PASSWORD, **fields}, token=root)
    assert r.status in (200, 204), r


def test_cli_enable_write_user_login_and_tuned_ttl(traced):
    server, root = traced
    enabled = server.cli("auth", "enable", "userpass", token=root)
    assert "Success! Enabled userpass auth method at: userpass/" in ok(enabled)
    methods = json.loads(ok(server.cli("auth", "list", "-format=json", token=root)))
    assert methods["userpass/"]["type"] == "userpass"
    assert methods["userpass/"]["accessor"].startswith("auth_userpass_")
    ok(server.cli("policy", "write", "reader", "-", input=READER_HCL, token=root))
    ok(server.cli("write", "auth/userpass/users/alice", f"password={PASSWORD}",
                  "token_policies=reader", token=root))

    # Password as an argument: stored in $HOME/.tresor-token (0600).
    out = ok(server.cli("login", "-method=userpass", "username=alice", f"password={PASSWORD}"))
    assert "Success! You are now authenticated." in out
    assert "token_meta_username    alice" in out
    assert 'token_policies         ["default" "reader"]' in out
    token_file = os.path.join(server.workdir, ".tresor-token")
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    with open(token_file) as f:
        token = f.read()
    assert token and token in out
    data = lookup_self(server, token)
    assert data["policies"] == ["default", "reader"]
    assert data["display_name"] == "userpass-alice"
    assert data["meta"] == {"username": "alice"}
    assert data["path"] == "auth/userpass/login/alice"
    assert data["ttl"] > DEFAULT_MAX_TTL - 60  # the mount's default, 768h

    # Later commands use the stored token: lookup without TRESOR_TOKEN.
    looked = json.loads(ok(server.cli("token", "lookup", "-format=json")))
    assert looked["data"]["display_name"] == "userpass-alice"
    # And it carries the reader policy: reads are allowed, writes are not.
    ok(server.cli("secrets", "enable", "-path=kv1", "-version=1", "kv", token=root))
    ok(server.cli("write", "kv1/app", "v=1", token=root))
    assert json.loads(ok(server.cli("read", "-format=json", "kv1/app")))["data"] == {"v": "1"}
    denied = server.cli("write", "kv1/app", "v=2")
    assert denied.returncode == 2 and "permission denied" in denied.stderr, denied

    # The mount's tuned default TTL bounds the next login's token.
    ok(server.cli("write", "sys/auth/userpass/tune", "default_lease_ttl=1h", token=root))
    # Password from stdin (not a terminal: one line, no prompt), -no-store.
    printed = json.loads(ok(server.cli("login", "-method=userpass", "-format=json", "-no-store",
                                       "username=alice", input=PASSWORD + "\n")))
    assert printed["auth"]["lease_duration"] == 3600
    assert printed["auth"]["metadata"] == {"username": "alice"}
    assert sorted(printed["auth"]["policies"]) == ["default", "reader"]
    new_token = printed["auth"]["client_token"]
    assert new_token != token
    assert lookup_self(server, new_token)["creation_ttl"] == 3600
    with open(token_file) as f:
        assert f.read() == token  # -no-store left the file alone

    # -field prints one value.
    field = ok(server.cli("login", "-method=userpass", "-field=token_duration", "-no-store",
                          "username=alice", f"password={PASSWORD}"))
    assert field == "1h\n"

    # A wrong password: the server's 400, exit 2, nothing stored.
    wrong = server.cli("login", "-method=userpass", "username=alice",
                       f"password={WRONG_PASSWORD}")
    assert wrong.returncode == 2, wrong
    assert "Code: 400" in wrong.stderr and "* invalid username or password" in wrong.stderr
    assert WRONG_PASSWORD not in wrong.stderr + wrong.stdout
    with open(token_file) as f:
        assert f.read() == token
    # No username: refused before any request.
    missing = server.cli("login", "-method=userpass", f"password={PASSWORD}")
    assert missing.returncode == 2
    assert "'username' must be specified" in missing.stderr


def test_hvac_enable_user_login_and_ttls(traced):
    server, root_token = traced
    root = client(server, root_token)
    root.sys.enable_auth_method("userpass", path="people")
    methods = root.sys.list_auth_methods()
    assert methods["people/"]["type"] == "userpass"
    root.sys.create_or_update_policy(name="reader", policy=READER_HCL)
    root.auth.userpass.create_or_update_user("bob", password=PASSWORD, policies=["reader"],
                                             mount_point="people")
    user = root.auth.userpass.read_user("bob", mount_point="people")["data"]
    assert user["token_policies"] == ["reader"]
    assert "password" not in user and "password_hash" not in user
    assert root.auth.userpass.list_user(mount_point="people")["data"]["keys"] == ["bob"]

    bob = hvac.Client(url=server.address)
    auth = bob.auth.userpass.login("bob", PASSWORD, mount_point="people")["auth"]
    assert sorted(auth["policies"]) == ["default", "reader"]
    assert auth["metadata"] == {"username": "bob"}
    assert auth["lease_duration"] == DEFAULT_MAX_TTL
    assert bob.is_authenticated()  # hvac adopted the new token
    data = bob.auth.token.lookup_self()["data"]
    assert data["display_name"] == "userpass-bob"
    assert data["meta"] == {"username": "bob"}
    assert data["explicit_max_ttl"] == DEFAULT_MAX_TTL  # the mount's max (Vault: 0)

    # Names are case-insensitive, as in Vault.
    auth = hvac.Client(url=server.address).auth.userpass.login(
        "BOB", PASSWORD, mount_point="people")["auth"]
    assert auth["metadata"] == {"username": "bob"}

    # The mount's tuned TTLs: the default, and the max capping the user's own TTL.
    root.sys.tune_auth_method("people", default_lease_ttl="1h", max_lease_ttl="2h")
    auth = hvac.Client(url=server.address).auth.userpass.login(
        "bob", PASSWORD, mount_point="people")["auth"]
    assert auth["lease_duration"] == 3600
    root.auth.userpass.create_or_update_user("bob", policies=["reader"], token_ttl="3h",
                                             mount_point="people")
    carol = hvac.Client(url=server.address)
    auth = carol.auth.userpass.login("bob", PASSWORD, mount_point="people")["auth"]
    assert auth["lease_duration"] == 7200
    assert carol.auth.token.lookup_self()["data"]["explicit_max_ttl"] == 7200
    # The user's own shorter TTL wins over the mount's default.
    root.auth.userpass.create_or_update_user("bob", token_ttl="30m", mount_point="people")
    auth = hvac.Client(url=server.address).auth.userpass.login(
        "bob", PASSWORD, mount_point="people")["auth"]
    assert auth["lease_duration"] == 1800

    # A password change: the old one stops working.
    root.auth.userpass.update_password_on_user("bob", OTHER_PASSWORD, mount_point="people")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid username or password"):
        hvac.Client(url=server.address).auth.userpass.login("bob", PASSWORD,
                                                            mount_point="people")
    hvac.Client(url=server.address).auth.userpass.login("bob", OTHER_PASSWORD,
                                                        mount_point="people")

    # `tresor login -path=` finds the method at people/.
    out = ok(server.cli("login", "-method=userpass", "-path=people", "-field=token_meta_username",
                        "username=bob", f"password={OTHER_PASSWORD}"))
    assert out == "bob\n"

    # Deleting the user: its logins fail like any unknown user's.
    root.auth.userpass.delete_user("bob", mount_point="people")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid username or password"):
        hvac.Client(url=server.address).auth.userpass.login("bob", OTHER_PASSWORD,
                                                            mount_point="people")


def test_wrong_password_and_unknown_user_answer_alike(traced):
    server, root = traced
    enable_with_user(server, root)
    wrong = login(server, "alice", WRONG_PASSWORD)
    unknown = login(server, "nobody", PASSWORD)
    for r in (wrong, unknown):
        assert r.status == 400, r
        assert r.errors == INVALID
    assert wrong.body == unknown.body
    assert login(server, "alice", PASSWORD).status == 200


def test_password_never_stored_in_clear_nor_logged(traced):
    server, root = traced
    enable_with_user(server, root)
    r = server.api("POST", "auth/userpass/users/alice/password", {"password": OTHER_PASSWORD},
                   token=root)
    assert r.status in (200, 204), r
    read = server.api("GET", "auth/userpass/users/alice", token=root)
    assert read.status == 200, read
    assert "password" not in read.json["data"]
    assert PASSWORD not in read.body and OTHER_PASSWORD not in read.body
    ok_login = login(server, "alice", OTHER_PASSWORD)
    assert ok_login.status == 200, ok_login
    assert OTHER_PASSWORD not in ok_login.body
    assert login(server, "alice", WRONG_PASSWORD).status == 400
    assert login(server, "alice", PASSWORD).status == 400  # the old one
    ok(server.cli("login", "-method=userpass", "-no-store", "username=alice",
                  f"password={OTHER_PASSWORD}"))
    server.restart()  # flushes whatever the server buffers
    files = [os.path.join(d, f) for d, _, fs in os.walk(server.data_dir) for f in fs]
    assert files, "the file backend wrote nothing"
    for path in files:
        with open(path, "rb") as f:
            content = f.read()
        for secret in (PASSWORD, OTHER_PASSWORD, WRONG_PASSWORD):
            assert secret.encode() not in content, f"{secret} found in {path}"
    logs = server.logs()
    assert logs, "the server logged nothing"
    for secret in (PASSWORD, OTHER_PASSWORD, WRONG_PASSWORD):
        assert secret not in logs


def test_disable_then_enable_again_starts_empty(traced):
    server, root = traced
    enable_with_user(server, root)
    assert login(server, "alice", PASSWORD).status == 200
    disabled = ok(server.cli("auth", "disable", "userpass", token=root))
    assert "Success! Disabled the auth method (if it existed) at: userpass/" in disabled
    gone = login(server, "alice", PASSWORD)
    assert gone.status in (403, 404), gone  # not routed: no login path there
    routed = server.api("POST", "auth/userpass/login/alice", {"password": PASSWORD}, token=root)
    assert routed.status == 404, routed
    assert "no handler for route" in routed.errors[0]
    cli_login = server.cli("login", "-method=userpass", "username=alice", f"password={PASSWORD}")
    assert cli_login.returncode == 2, cli_login
    assert "userpass/" not in json.loads(ok(server.cli("auth", "list", "-format=json",
                                                     token=root)))

    ok(server.cli("auth", "enable", "userpass", token=root))
    users = server.api("LIST", "auth/userpass/users", token=root)
    assert users.status == 404, users
    listed = server.cli("list", "auth/userpass/users", token=root)
    assert listed.returncode == 2 and "No value found" in listed.stderr, listed
    again = login(server, "alice", PASSWORD)
    assert again.status == 400 and again.errors == INVALID


def test_users_survive_a_restart(traced):
    server, root = traced
    enable_with_user(server, root, token_policies="reader", token_ttl="2h")
    before = login(server, "alice", PASSWORD)
    assert before.status == 200, before
    old_token = before.json["auth"]["client_token"]
    server.restart()
    assert server.seal_status()["sealed"] is True
    server.unseal(server.unseal_keys)
    after = login(server, "alice", PASSWORD)
    assert after.status == 200, after
    assert after.json["auth"]["policies"] == ["default", "reader"]
    assert after.json["auth"]["lease_duration"] == 7200
    assert login(server, "alice", WRONG_PASSWORD).errors == INVALID
    assert lookup_self(server, old_token)["display_name"] == "userpass-alice"
    keys = server.api("LIST", "auth/userpass/users", token=root)
    assert keys.status == 200 and keys.json["data"]["keys"] == ["alice"], keys


@pytest.mark.parametrize("path,body,error", [
    ("auth/userpass/login/alice", {}, "password"),
    ("auth/userpass/login/alice", {"password": ""}, "password"),
    ("auth/userpass/users/bob", {"password": 5}, "password"),
    ("auth/userpass/users/bob", {"password": PASSWORD, "token_ttl": "1x"}, "token_ttl"),
    ("auth/userpass/users/bob", {"password": PASSWORD, "token_policies": 7}, "token_policies"),
    ("auth/userpass/users/bob", {}, "password"),
    ("auth/userpass/users/bob", {"password": PASSWORD, "token_ttl": "2h",
                                 "token_max_ttl": "1h"}, "token_ttl"),
    ("auth/userpass/users/bob/password", {"password": PASSWORD}, "username"),
])
def test_bad_input_is_a_400_and_changes_nothing(traced, path, body, error):
    server, root = traced
    enable_with_user(server, root)
    r = server.api("POST", path, body, token=root if "/users/" in path else None)
    assert r.status == 400, r
    assert len(r.errors) == 1 and error in r.errors[0], r
    assert PASSWORD not in r.body
    keys = server.api("LIST", "auth/userpass/users", token=root)
    assert keys.json["data"]["keys"] == ["alice"], keys
    assert login(server, "alice", PASSWORD).status == 200
