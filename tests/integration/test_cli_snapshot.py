"""`tresor operator raft snapshot save|restore` against a real server: a
verified save, a round trip, an interrupted save that leaves nothing under
the final name, and the errors."""
import os
import signal
import subprocess
import time

import pytest

from harness import BINARY, TresorServer
from snapshot_support import enable_kv1, put_secrets, read_secret, wait_unsealed_active


@pytest.fixture
def node():
    s = TresorServer(storage="raft")
    s.start()
    init = s.init(1, 1)
    s.unseal(init["keys"])
    wait_unsealed_active(s)
    root = init["root_token"]
    enable_kv1(s, root)
    put_secrets(s, root, "kv", 10, "before")
    yield s, init["keys"], root
    s.close()


def test_save_verifies_then_restore_brings_the_state_back(node):
    s, _, root = node
    path = os.path.join(s.workdir, "backup.snap")
    r = s.cli("operator", "raft", "snapshot", "save", path, token=root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Saved and verified snapshot to index ")
    index = int(r.stdout.split()[-1])
    assert index > 0
    assert [f for f in os.listdir(s.workdir) if ".tmp-" in f] == []

    r = s.cli("operator", "raft", "snapshot", "inspect", "-format=json", path)
    assert r.returncode == 0, r.stderr
    assert f'"index": {index}' in r.stdout

    put_secrets(s, root, "kv", 10, "after")
    r = s.cli("operator", "raft", "snapshot", "restore", path, token=root)
    assert r.returncode == 0, r.stderr
    assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10


def test_a_save_killed_midway_leaves_nothing_under_the_final_name(node):
    s, _, root = node
    put_secrets(s, root, "kv", 60, "x" * 65536, prefix="big")  # a few MiB to download
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "TRESOR_"))}
    env.update(TRESOR_ADDR=s.address, TRESOR_TOKEN=root, HOME=s.workdir)
    # The delays place the kill at different moments of the save; they do
    # not stand in for waiting on anything.
    for n, delay in enumerate((0.0, 0.01, 0.03, 0.08, 0.2)):
        path = os.path.join(s.workdir, f"killed-{n}.snap")
        cli = subprocess.Popen([BINARY, "operator", "raft", "snapshot", "save", path], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        cli.send_signal(signal.SIGKILL)
        out, _ = cli.communicate()
        if os.path.exists(path):
            # The save finished before the kill: then the file is whole.
            assert b"Saved and verified" in out or cli.returncode == -signal.SIGKILL
            r = s.cli("operator", "raft", "snapshot", "inspect", path)
            assert r.returncode == 0, f"delay {delay}: a damaged file under the final name"


def test_errors_are_clear_and_exit_2(node):
    s, _, root = node
    r = s.cli("operator", "raft", "snapshot", "save", "/nonexistent-dir/x.snap", token=root)
    assert r.returncode == 2 and "/nonexistent-dir" in r.stderr
    r = s.cli("operator", "raft", "snapshot", "restore", "/nonexistent.snap", token=root)
    assert r.returncode == 2 and "/nonexistent.snap" in r.stderr
    bad = os.path.join(s.workdir, "bad.snap")
    with open(bad, "wb") as f:
        f.write(b"not a snapshot at all")
    r = s.cli("operator", "raft", "snapshot", "restore", bad, token=root)
    assert r.returncode == 2 and "nothing was changed" in r.stderr
    r = s.cli("operator", "raft", "snapshot", "save", os.path.join(s.workdir, "x.snap"),
              token="not-a-token")
    assert r.returncode == 2 and "403" in r.stderr
    assert not os.path.exists(os.path.join(s.workdir, "x.snap"))
    r = s.cli("operator", "raft", "snapshot", "save", token=root)
    assert r.returncode == 2


def test_a_forced_restore_of_another_cluster_says_to_unseal_with_its_keys(node):
    s, _, root = node
    with TresorServer(storage="raft") as other:
        init = other.init(1, 1)
        other.unseal(init["keys"])
        wait_unsealed_active(other)
        path = os.path.join(s.workdir, "other.snap")
        r = other.cli("operator", "raft", "snapshot", "save", path, token=init["root_token"])
        assert r.returncode == 0, r.stderr
    r = s.cli("operator", "raft", "snapshot", "restore", path, token=root)
    assert r.returncode == 2 and "-force" in r.stderr
    r = s.cli("operator", "raft", "snapshot", "restore", "-force", path, token=root)
    assert r.returncode == 0, r.stderr
    assert "unseal it with the keys of the cluster the snapshot came from" in r.stderr
    assert s.seal_status()["sealed"] is True
