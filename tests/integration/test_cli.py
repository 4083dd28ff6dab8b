"""The tresor CLI (docs/cli.md) against a real server: operator init, unseal
(argument and stdin), status exit codes, key-status, rotate, seal, version,
address precedence and both flag spellings; help lists every command."""
import json
import re
import subprocess

from harness import BINARY, TresorServer, free_port


def ok(result):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def init_json(server, *flags):
    out = ok(server.cli("operator", "init", *flags))
    return json.loads(out)


def test_operator_init_json(server):
    init = init_json(server, "-key-shares=3", "-key-threshold=2", "-format=json")
    assert init["unseal_shares"] == 3 and init["unseal_threshold"] == 2
    assert len(init["unseal_keys_b64"]) == 3 and len(init["unseal_keys_hex"]) == 3
    assert all(re.fullmatch(r"[0-9a-f]{66}", k) for k in init["unseal_keys_hex"])
    assert init["root_token"]
    assert init["recovery_keys_b64"] == [] and init["recovery_keys_hex"] == []
    status = server.seal_status()
    assert status["initialized"] is True and (status["t"], status["n"]) == (2, 3)
    # Again: the server's error, exit 1.
    again = server.cli("operator", "init", "-key-shares=3", "-key-threshold=2")
    assert again.returncode == 1
    assert "already initialized" in again.stderr


def test_init_status_flag(server):
    assert server.cli("operator", "init", "-status").returncode == 2
    server.init(1, 1)
    result = server.cli("operator", "init", "-status")
    assert result.returncode == 0 and "is initialized" in result.stdout


def test_unseal_by_argument_and_by_stdin_and_status_codes(server):
    # Not initialised counts as sealed.
    assert server.cli("status").returncode == 2
    init = init_json(server, "-key-shares=3", "-key-threshold=2", "-format=json")

    sealed = server.cli("status")
    assert sealed.returncode == 2, sealed
    assert re.search(r"Sealed\s+true", sealed.stdout), sealed.stdout

    first = json.loads(ok(server.cli("operator", "unseal", "-format=json",
                                     init["unseal_keys_hex"][0])))
    assert first["sealed"] is True and first["progress"] == 1
    assert server.cli("status").returncode == 2

    # From a pipe (not a tty): one line, no prompt needed.
    second = json.loads(ok(server.cli("operator", "unseal", "-format=json",
                                      input=init["unseal_keys_b64"][1] + "\n")))
    assert second["sealed"] is False
    assert second["ha_enabled"] is True  # merged from sys/leader (raft storage)

    unsealed = server.cli("status", "-format=json")
    assert unsealed.returncode == 0, unsealed
    assert json.loads(unsealed.stdout)["sealed"] is False


def test_status_exits_1_when_no_server_listens(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    s = TresorServer(workdir=str(tmp_path))
    result = s.cli("status", env={"TRESOR_ADDR": dead})
    assert result.returncode == 1, result
    assert "connection refused" in result.stderr.lower()


def test_key_status_rotate_and_seal(server):
    init = server.init(1, 1)
    server.unseal(init["keys"])
    token = init["root_token"]

    out = ok(server.cli("operator", "key-status", token=token))
    assert re.search(r"Key Term\s+1\b", out), out
    assert re.search(r"Install Time\s+\S+", out), out

    out = ok(server.cli("operator", "rotate", token=token))
    assert "Success! Rotated key" in out
    assert re.search(r"Key Term\s+2\b", out), out
    assert server.key_term(token) == 2
    key_status = json.loads(ok(server.cli("operator", "key-status", "-format=json",
                                          token=token)))
    assert key_status["term"] == 2

    # Without a token the server refuses: exit 1, nothing changes.
    denied = server.cli("operator", "seal")
    assert denied.returncode == 1 and "permission denied" in denied.stderr
    assert server.seal_status()["sealed"] is False

    out = ok(server.cli("operator", "seal", token=token))
    assert "Success! Vault is sealed." in out
    assert server.seal_status()["sealed"] is True
    assert server.cli("status").returncode == 2


def test_version(server):
    for spelling in (["version"], ["-v"], ["-version"], ["--version"]):
        out = ok(server.cli(*spelling))
        assert re.match(r"Tresor v\d+\.\d+\.\d+", out), (spelling, out)


def test_tresor_addr_wins_over_vault_addr(server):
    dead = f"http://127.0.0.1:{free_port()}"
    live = server.address
    # Only VAULT_ADDR set: it is used.
    r = server.cli("status", env={"TRESOR_ADDR": "", "VAULT_ADDR": live})
    assert r.returncode == 2, r
    # Both set: TRESOR_ADDR wins, whichever way round.
    r = server.cli("status", env={"TRESOR_ADDR": live, "VAULT_ADDR": dead})
    assert r.returncode == 2, r
    r = server.cli("status", env={"TRESOR_ADDR": dead, "VAULT_ADDR": live})
    assert r.returncode == 1, r
    # The -address flag beats both.
    r = server.cli("status", f"-address={live}", env={"TRESOR_ADDR": dead, "VAULT_ADDR": dead})
    assert r.returncode == 2, r


def test_single_and_double_dash_flags(server):
    dead = {"TRESOR_ADDR": f"http://127.0.0.1:{free_port()}"}
    for flag in ("-address", "--address"):
        r = server.cli("status", f"{flag}={server.address}", env=dead)
        assert r.returncode == 2, (flag, r)
    init = json.loads(ok(server.cli("operator", "init", "--key-shares=2", "-key-threshold=2",
                                    "--format=json")))
    assert init["unseal_shares"] == 2 and init["unseal_threshold"] == 2
    r = json.loads(ok(server.cli("operator", "unseal", "--format=json",
                                 init["unseal_keys_hex"][0])))
    assert r["progress"] == 1
    r = json.loads(ok(server.cli("operator", "unseal", "-format=json",
                                 init["unseal_keys_hex"][1])))
    assert r["sealed"] is False


def test_help_lists_the_server_and_offline_commands():
    """One registry holds every command: `server` and the offline operator
    commands are listed with the client's and answer -h like them."""
    def run(*args):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30)

    top = run("-h")
    assert top.returncode == 0, top
    for name in ("server", "operator", "status", "kv"):
        assert re.search(rf"^    {name} +\S", top.stdout, re.M), (name, top.stdout)
    operator = run("operator", "-h")
    for name in ("backup", "migrate", "raft", "init", "unseal"):
        assert re.search(rf"^    {name} +\S", operator.stdout, re.M), (name, operator.stdout)
    assert re.search(r"^    recover +\S", run("operator", "raft", "-h").stdout, re.M)
    assert re.search(r"^    verify +\S", run("operator", "raft", "snapshot", "-h").stdout, re.M)

    for words in (["server"], ["operator", "backup"], ["operator", "migrate"],
                  ["operator", "raft", "recover"], ["operator", "raft", "snapshot", "verify"]):
        helped = run(*words, "--help")
        assert helped.returncode == 0, helped
        assert helped.stdout.startswith("Usage: tresor " + " ".join(words)), helped.stdout
        assert "-config=<string>" in helped.stdout or "-unseal-key=<string>" in helped.stdout
        bad = run(*words, "-no-such-flag")
        assert bad.returncode == 2, bad
        assert bad.stderr == ("flag provided but not defined: -no-such-flag\n"
                              f"Run \"tresor {' '.join(words)} -help\" for usage.\n"), bad.stderr
