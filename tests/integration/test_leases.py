"""Leases (docs/leases.md) on the real binary: token leases looked up,
listed, renewed and revoked through hvac, the legacy sys/renew and
sys/revoke paths and the CLI; revoke-prefix logging out every user of an
auth mount; sudo on the listing and prefix revocations; revocations that
survive a restart; bad input.
"""
import hvac
import pytest

from harness import TresorServer
from hvac_support import client

PREFIX = "auth/userpass/login/alice/"


def login(server, name="alice", password="pw-alice-1"):
    r = server.api("POST", f"auth/userpass/login/{name}", {"password": password})
    assert r.status == 200, r
    return r.json["auth"]["client_token"]


def usable(server, token):
    return server.api("GET", "auth/token/lookup-self", token=token).status == 200


@pytest.fixture
def server():
    s = TresorServer(storage="file")
    s.start()
    init = s.init(1, 1)
    s.unseal_keys = init["keys"]
    s.unseal(s.unseal_keys)
    root = init["root_token"]
    assert s.api("POST", "sys/auth/userpass", {"type": "userpass"}, token=root).status == 204
    for name in ("alice", "bob"):
        r = s.api("POST", f"auth/userpass/users/{name}",
                  {"password": f"pw-{name}-1", "token_ttl": "1h", "token_max_ttl": "4h"}, token=root)
        assert r.status == 204, r
    yield s, root
    s.close()


def test_token_leases_through_hvac(server):
    s, root = server
    first, second = login(s), login(s)
    c = client(s, root)

    hashes = c.sys.list_leases(PREFIX)["data"]["keys"]
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes), hashes
    assert c.sys.list_leases("auth/userpass/login/")["data"]["keys"] == ["alice/"]
    lease_id = PREFIX + hashes[0]

    lease = c.sys.read_lease(lease_id)["data"]
    assert lease["id"] == lease_id and lease["renewable"] is True
    assert 3500 < lease["ttl"] <= 3600 and lease["expire_time"] and lease["last_renewal"] is None

    renewed = c.sys.renew_lease(lease_id, increment=7200)
    assert renewed["lease_id"] == lease_id and 7100 < renewed["lease_duration"] <= 7200
    assert c.sys.read_lease(lease_id)["data"]["last_renewal"] is not None

    c.sys.revoke_lease(lease_id)
    assert sorted([usable(s, first), usable(s, second)]) == [False, True]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.read_lease(lease_id)

    # Every token userpass handed out, gone at once; other mounts' untouched.
    bob = login(s, "bob", "pw-bob-1")
    other = s.api("POST", "auth/token/create", {"policies": ["default"]}, token=root)
    other_token = other.json["auth"]["client_token"]
    c.sys.revoke_prefix("auth/userpass/")
    assert not usable(s, first) and not usable(s, second) and not usable(s, bob)
    assert usable(s, other_token)
    assert "auth/userpass/login/" not in str(c.sys.list_leases("auth/")["data"]["keys"])

    c.sys.revoke_force("auth/token/create/")
    assert not usable(s, other_token) and usable(s, root)


def test_legacy_paths_and_tidy(server):
    s, root = server
    token = login(s)
    keys = s.api("LIST", "sys/leases/lookup/" + PREFIX, token=root).json["data"]["keys"]
    lease_id = PREFIX + keys[0]
    r = s.api("PUT", "sys/renew/" + lease_id, {"increment": "2h"}, token=root)
    assert r.status == 200 and r.json["lease_id"] == lease_id, r
    # The token may renew its own lease under the default policy.
    r = s.api("PUT", "sys/leases/renew", {"lease_id": lease_id}, token=token)
    assert r.status == 200 and r.json["renewable"] is True, r
    r = s.api("PUT", "sys/leases/tidy", token=root)
    assert r.status == 202 and r.json["warnings"], r
    assert s.api("PUT", "sys/revoke", {"lease_id": lease_id}, token=root).status == 204
    assert not usable(s, token)


def test_prefix_operations_need_sudo_and_bad_input_changes_nothing(server):
    s, root = server
    token = login(s)
    keys = s.api("LIST", "sys/leases/lookup/" + PREFIX, token=root).json["data"]["keys"]
    lease_id = PREFIX + keys[0]
    # The default policy does not reach listings or prefix revocations.
    for method, path in [("LIST", "sys/leases/lookup/auth/"),
                         ("PUT", "sys/leases/revoke-prefix/auth/userpass/"),
                         ("PUT", "sys/revoke-force/auth/")]:
        assert s.api(method, path, token=token).status == 403, path

    cases = [
        ("PUT", "sys/leases/lookup", {}, "lease_id"),
        ("PUT", "sys/leases/lookup", {"lease_id": "auth/token/create/nope"}, "invalid lease"),
        ("PUT", "sys/leases/lookup", {"lease_id": lease_id + "x"}, "invalid lease"),
        ("PUT", "sys/leases/lookup", {"lease_id": "auth/token/create/" + keys[0]}, "invalid lease"),
        ("PUT", "sys/leases/renew", {"lease_id": "auth/x/1234"}, "lease not found"),
        ("PUT", "sys/leases/renew", {"lease_id": lease_id, "increment": "soon"}, "increment"),
        ("PUT", "sys/leases/renew", {"lease_id": lease_id, "incremnt": 5}, "incremnt"),
        ("PUT", "sys/leases/renew/" + lease_id, {"lease_id": "auth/other/1"}, "different"),
        ("PUT", "sys/leases/revoke", {"lease_id": 7}, "lease_id"),
        ("PUT", "sys/leases/revoke-prefix", {}, "prefix"),
        ("PUT", "sys/leases/revoke-prefix/auth/a/", {"prefix": "auth/b/"}, "different"),
    ]
    for method, path, body, words in cases:
        r = s.api(method, path, body, token=root)
        assert r.status == 400 and words in r.errors[0], (path, body, r)
    # The root token never expires: it is not renewable.
    root_keys = s.api("LIST", "sys/leases/lookup/auth/token/root/", token=root).json["data"]["keys"]
    r = s.api("PUT", "sys/leases/renew", {"lease_id": "auth/token/root/" + root_keys[0]}, token=root)
    assert r.status == 400 and "not renewable" in r.errors[0], r
    # Unknown leases are nothing to revoke.
    assert s.api("PUT", "sys/leases/revoke", {"lease_id": "auth/x/y"}, token=root).status == 204
    assert usable(s, token)


def test_revocation_survives_a_restart_and_the_cli(server):
    s, root = server
    kept, revoked = login(s), login(s)
    keys = s.api("LIST", "sys/leases/lookup/" + PREFIX, token=root).json["data"]["keys"]
    ids = {PREFIX + k for k in keys}
    # Which lease is whose: revoke through the CLI until `revoked` dies.
    for lease_id in ids:
        out = s.cli("lease", "lookup", "-format=json", lease_id, token=root)
        assert out.returncode == 0 and lease_id in out.stdout, out
    victim = None
    for lease_id in ids:
        out = s.cli("lease", "revoke", lease_id, token=root)
        assert out.returncode == 0 and "Success! Revoked lease: " + lease_id in out.stdout, out
        victim = lease_id
        break
    survivor = (ids - {victim}).pop()
    out = s.cli("lease", "renew", "-increment=90m", survivor, token=root)
    assert out.returncode == 0 and "lease_duration" in out.stdout, out
    alive = [t for t in (kept, revoked) if usable(s, t)]
    assert len(alive) == 1

    s.restart()
    s.unseal(s.unseal_keys)
    assert [t for t in (kept, revoked) if usable(s, t)] == alive
    out = s.cli("lease", "lookup", victim, token=root)
    assert out.returncode == 2 and "invalid lease" in out.stderr, out
    out = s.cli("lease", "revoke", "-force", "auth/", token=root)
    assert out.returncode != 0 and "-prefix" in out.stderr, out
    out = s.cli("lease", "revoke", "-prefix", "auth/userpass/", token=root)
    assert out.returncode == 0 and "auth/userpass/" in out.stdout, out
    assert not any(usable(s, t) for t in (kept, revoked))
