"""Rekey and generate-root on real processes: the CLI end to end (shares
from a pipe, as from a hidden prompt), hvac's calls unchanged, a rekey sent
through a standby that changes the shares of the whole cluster, and kill -9
of the server on each side of the rekey's one storage step, after which one
complete set of shares (the old or the new) opens the barrier."""
import json
import signal
import urllib.error

import hvac
import pytest

from harness import TresorServer, form_raft_cluster, wait_for, close_all


def started(shares, threshold, env=None):
    s = TresorServer(storage="raft", env=env)
    s.start()
    init = s.init(shares, threshold)
    s.unseal(init["keys"][:threshold])
    wait_for(lambda: s.api("GET", "sys/health").status == 200, what="the node to be active")
    return s, init["keys"], init["root_token"]


def opens_with(s, keys):
    """Unseals a sealed server with keys; whether it ends unsealed."""
    assert s.api("PUT", "sys/unseal", {"reset": True}).status == 200
    for key in keys:
        r = s.api("PUT", "sys/unseal", {"key": key})
        if r.status != 200:
            return False
        if not r.json["sealed"]:
            return True
    return False


def cli_share(s, key, *args):
    """Runs `tresor operator ARGS` with the share on stdin (a pipe: read
    as a line, as the hidden prompt reads it at a terminal)."""
    r = s.cli("operator", *args, input=key + "\n")
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_cli_rekey_5_of_3_to_3_of_2_with_verification():
    s, keys, root = started(5, 3)
    try:
        r = s.cli("operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2", "-verify")
        assert r.returncode == 0, r.stderr
        assert "Verification Required    true" in r.stdout
        out = cli_share(s, keys[0], "rekey")
        assert "Rekey Progress           1/3" in out, out
        cli_share(s, keys[1], "rekey")
        out = cli_share(s, keys[2], "rekey")
        new_keys = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Key ")]
        assert len(new_keys) == 3, out
        assert "tresor operator rekey -verify -nonce=" in out
        # Not in effect until verified.
        assert s.seal_status()["n"] == 5
        out = cli_share(s, new_keys[2], "rekey", "-verify")
        assert "Verification Progress    1/2" in out, out
        out = cli_share(s, new_keys[0], "rekey", "-verify")
        assert "Rekey verification was successful" in out
        status = s.seal_status()
        assert (status["n"], status["t"]) == (3, 2)

        assert s.stop() == 0
        s.start()
        assert not opens_with(s, keys[:3])
        assert opens_with(s, new_keys[1:])
        assert s.api("GET", "sys/key-status", token=root).status == 200
    finally:
        s.close()


def test_cli_generate_root_end_to_end():
    s, keys, root = started(3, 2)
    try:
        # The old root token is lost: revoked.
        assert s.api("POST", "auth/token/revoke-self", token=root).status == 204
        assert s.api("GET", "sys/key-status", token=root).status == 403
        r = s.cli("operator", "generate-root", "-init", "-format=json")
        assert r.returncode == 0, r.stderr
        otp = json.loads(r.stdout)["otp"]
        assert len(otp) == 28
        out = cli_share(s, keys[2], "generate-root")
        assert "Progress      1/2" in out, out
        out = cli_share(s, keys[0], "generate-root", "-format=json")
        result = json.loads(out)
        assert result["complete"] is True
        r = s.cli("operator", "generate-root", f"-decode={result['encoded_token']}", f"-otp={otp}")
        assert r.returncode == 0, r.stderr
        token = r.stdout.strip()
        assert token.startswith("hvs.") and token != root
        assert s.api("GET", "sys/key-status", token=token).status == 200
        # A wrong OTP decodes to something else, which is no token.
        wrong = ("b" if otp[0] != "b" else "c") + otp[1:]
        r = s.cli("operator", "generate-root", f"-decode={result['encoded_token']}", f"-otp={wrong}")
        assert r.returncode == 0 and r.stdout.strip() != token
        # Cancel and status.
        assert s.cli("operator", "generate-root", "-init").returncode == 0
        r = s.cli("operator", "generate-root", "-cancel")
        assert r.returncode == 0 and "canceled" in r.stdout
        r = s.cli("operator", "generate-root", "-status", "-format=json")
        assert json.loads(r.stdout)["started"] is False
    finally:
        s.close()


def test_cli_refuses_bad_input_clearly():
    s, keys, root = started(3, 2)
    try:
        r = s.cli("operator", "rekey", "-init", "-key-shares=2", "-key-threshold=3")
        assert r.returncode == 1 and "secret_threshold cannot be larger" in r.stderr
        r = s.cli("operator", "rekey", "-init", "-pgp-keys=a,b,c")
        assert r.returncode == 2 and "not supported" in r.stderr
        r = s.cli("operator", "rekey", "-target=recovery", "-status")
        assert r.returncode == 1 and "recovery keys exist only with an auto-unseal" in r.stderr
        r = s.cli("operator", "rekey", keys[0])
        assert r.returncode == 1 and "no rekey is in progress" in r.stderr
        assert s.cli("operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2").returncode == 0
        r = s.cli("operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2")
        assert r.returncode == 1 and "rekey already in progress" in r.stderr
        r = s.cli("operator", "rekey", "-nonce=not-the-nonce", keys[0])
        assert r.returncode == 1 and "nonce" in r.stderr
        r = s.cli("operator", "generate-root", "-decode=abc")
        assert r.returncode == 2 and "-otp" in r.stderr
        assert s.seal_status()["n"] == 3
    finally:
        s.close()


def test_hvac_rekey_and_generate_root_calls_work_unchanged():
    s, keys, root = started(3, 2)
    try:
        client = hvac.Client(url=s.address, token=root)
        start = client.sys.start_rekey(secret_shares=4, secret_threshold=3,
                                       require_verification=True)
        assert start["started"] is True and start["verification_required"] is True
        assert client.sys.read_rekey_progress()["n"] == 4
        done = client.sys.rekey_multi(keys[:2], nonce=start["nonce"])
        assert done["complete"] is True and len(done["keys"]) == 4
        verified = client.sys.rekey_verify_multi(done["keys"][1:4], nonce=done["verification_nonce"])
        assert verified["complete"] is True
        assert (s.seal_status()["n"], s.seal_status()["t"]) == (4, 3)

        otp = "A" * 28
        attempt = client.sys.start_root_token_generation(otp=otp)
        assert attempt["started"] is True and attempt["required"] == 3
        result = None
        for key in done["keys"][:3]:
            result = client.sys.generate_root(key=key, nonce=attempt["nonce"])
        assert result["complete"] is True
        r = s.cli("operator", "generate-root", f"-decode={result['encoded_token']}", f"-otp={otp}")
        token = r.stdout.strip()
        assert hvac.Client(url=s.address, token=token).sys.read_health_status(method="GET")
        assert s.api("GET", "sys/key-status", token=token).status == 200
        client.sys.start_root_token_generation(otp=otp)
        client.sys.cancel_root_generation()
        assert client.sys.read_root_generation_progress()["started"] is False
    finally:
        s.close()


def test_rekey_through_a_standby_changes_the_shares_of_the_whole_cluster():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    try:
        standby = next(n for n in nodes if not n.api("GET", "sys/leader").json["is_self"])
        r = standby.api("PUT", "sys/rekey/init", {"secret_shares": 2, "secret_threshold": 2})
        assert r.status == 200, r
        nonce = r.json["nonce"]
        for key in keys[:2]:
            r = standby.api("PUT", "sys/rekey/update", {"key": key, "nonce": nonce})
            assert r.status == 200, r
        new_keys = r.json["keys"]
        assert len(new_keys) == 2
        for n in nodes:
            wait_for(lambda: n.seal_status()["n"] == 2, what="the new seal configuration everywhere")
        assert standby.stop() == 0
        standby.start()
        assert not opens_with(standby, keys[:2])
        assert opens_with(standby, new_keys)
    finally:
        close_all(nodes)


@pytest.mark.parametrize("step", ["rekey-before-commit", "rekey-after-commit"])
def test_kill_9_around_the_rekey_commit_leaves_one_complete_set(step):
    """The verified flow: the new shares are in the operator's hands before
    the commit, so either set may be the one that opens."""
    s, keys, root = started(3, 2, env={"TRESOR_CRASH_AT_FOR_TEST": step})
    try:
        r = s.api("PUT", "sys/rekey/init",
                  {"secret_shares": 2, "secret_threshold": 2, "require_verification": True})
        assert r.status == 200, r
        nonce = r.json["nonce"]
        for key in keys[:2]:
            r = s.api("PUT", "sys/rekey/update", {"key": key, "nonce": nonce})
            assert r.status == 200, r
        new_keys, verify_nonce = r.json["keys"], r.json["verification_nonce"]
        assert s.api("PUT", "sys/rekey/verify", {"key": new_keys[0], "nonce": verify_nonce}).status == 200
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            s.api("PUT", "sys/rekey/verify", {"key": new_keys[1], "nonce": verify_nonce})
        assert s.stop() == -signal.SIGKILL
        s.env = {}
        s.start()
        old_opens = opens_with(s, keys[:2])
        if old_opens:
            assert s.api("PUT", "sys/seal", token=root).status == 204
        new_opens = opens_with(s, new_keys)
        assert old_opens != new_opens, (old_opens, new_opens)
        assert old_opens == (step == "rekey-before-commit")
        if old_opens:
            assert opens_with(s, keys[:2])
        status = s.seal_status()
        assert status["sealed"] is False
        assert status["n"] == (3 if old_opens else 2)
        assert s.api("GET", "sys/key-status", token=root).status == 200
    finally:
        s.close()
