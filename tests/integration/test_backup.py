"""`tresor operator backup save|restore` on file storage with real processes:
a round trip checked entry by entry after restarting the server on the
restored storage; both refused while the server runs (storage unchanged);
another cluster's backup refused without -force, accepted with it, after
which the server unseals with the other cluster's keys; raft storage pointed
to the snapshot commands; kill -9 of a restore at each step (crash
injection) and at random moments leaves the old or the new state, never a
mix, and the storage opens."""
import os
import random
import signal
import subprocess
import time

import pytest

from harness import BINARY, TresorServer
from snapshot_support import enable_kv1, put_secrets, read_secret, records


def backup(server, *args, env=None):
    return subprocess.run([BINARY, "operator", "backup", args[0], f"-config={server.config_path}",
                           *args[1:]], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def file_server(secrets=8, value="saved"):
    s = TresorServer(storage="file")
    s.start()
    init = s.init(1, 1)
    s.unseal(init["keys"])
    root = init["root_token"]
    enable_kv1(s, root)
    put_secrets(s, root, "kv", secrets, value)
    return s, init["keys"][0], root


def all_secrets(s, root, count):
    return {i: read_secret(s, root, f"kv/k{i}") for i in range(count)}


def storage_files(s):
    """Every file under the storage directory (but LOCK) with its bytes."""
    out = {}
    for dirpath, _, files in os.walk(s.data_dir):
        for name in files:
            if name != "LOCK":
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, s.data_dir)] = f.read()
    return out


def test_round_trip_restores_every_entry(tmp_path):
    s, key, root = file_server()
    archive = str(tmp_path / "backup.snap")
    try:
        assert s.stop() == 0
        saved = backup(s, "save", f"-unseal-key={key}", archive)
        assert saved.returncode == 0, saved
        entries = records(open(archive, "rb").read())
        assert f"Saved and verified backup to {archive} ({len(entries)} entries)" in saved.stdout

        s.start()
        s.unseal([key])
        put_secrets(s, root, "kv", 8, "changed")
        put_secrets(s, root, "kv", 3, "new", prefix="extra")
        assert s.stop() == 0

        restored = backup(s, "restore", f"-unseal-key={key}", archive)
        assert restored.returncode == 0, restored
        assert f"Restored {archive} ({len(entries)} entries) into {s.data_dir}" in restored.stdout
        assert not [n for n in os.listdir(os.path.dirname(s.data_dir)) if ".restore-" in n]

        s.start()
        s.unseal([key])
        assert all_secrets(s, root, 8) == {i: "saved" for i in range(8)}
        assert read_secret(s, root, "kv/extra0") is None
        # Entry by entry, the storage is the archive again.
        assert s.stop() == 0
        again = str(tmp_path / "again.snap")
        assert backup(s, "save", f"-unseal-key={key}", again).returncode == 0
        assert records(open(again, "rb").read()) == entries
    finally:
        s.close()


def test_refused_while_the_server_runs(tmp_path):
    s, key, _ = file_server(secrets=3)
    archive = str(tmp_path / "backup.snap")
    try:
        before = storage_files(s)
        running = backup(s, "save", f"-unseal-key={key}", archive)
        assert running.returncode == 1, running
        assert "stop it first" in running.stderr
        assert not os.path.exists(archive)

        assert s.stop() == 0
        assert backup(s, "save", f"-unseal-key={key}", archive).returncode == 0
        s.start()
        restore = backup(s, "restore", f"-unseal-key={key}", archive)
        assert restore.returncode == 1, restore
        assert "stop it first" in restore.stderr
        assert s.stop() == 0
        assert storage_files(s) == before
    finally:
        s.close()


def test_another_clusters_backup_needs_force(tmp_path):
    a, key_a, root_a = file_server(secrets=4, value="from-a")
    b, key_b, _ = file_server(secrets=2, value="from-b")
    archive = str(tmp_path / "a.snap")
    try:
        assert a.stop() == 0
        assert backup(a, "save", f"-unseal-key={key_a}", archive).returncode == 0
        assert b.stop() == 0
        before = storage_files(b)

        refused = backup(b, "restore", f"-unseal-key={key_b}", archive)
        assert refused.returncode == 1, refused
        assert "-force" in refused.stderr
        assert storage_files(b) == before
        neither = backup(b, "restore", archive)
        assert neither.returncode == 2 and "-force" in neither.stderr

        forced = backup(b, "restore", "-force", archive)
        assert forced.returncode == 0, forced
        assert "unseal it with the keys of the cluster" in forced.stdout

        b.start()
        assert b.seal_status()["sealed"] is True
        r = b.api("PUT", "sys/unseal", {"key": key_b})
        assert r.status != 200 or r.json["sealed"] is True
        b.unseal([key_a])
        assert all_secrets(b, root_a, 4) == {i: "from-a" for i in range(4)}
    finally:
        a.close()
        b.close()


def test_raft_storage_is_pointed_to_snapshots(tmp_path):
    s = TresorServer(storage="raft")
    try:
        r = backup(s, "save", "-unseal-key=AAAA", str(tmp_path / "x.snap"))
        assert r.returncode == 1
        assert "operator raft snapshot" in r.stderr
        assert not os.path.exists(tmp_path / "x.snap")
    finally:
        s.close()


def crashed_restore(s, key, archive, env):
    r = backup(s, "restore", f"-unseal-key={key}", archive, env=env)
    assert r.returncode == -signal.SIGKILL, r


def state_after_crash(s, key, root):
    """Starts the server on the storage left by a crash; returns its secrets."""
    s.start()
    s.unseal([key])
    values = all_secrets(s, root, 6)
    assert s.stop() == 0
    return values


@pytest.mark.parametrize("step", ["staging", "staged", "swapped"])
def test_kill_9_at_each_step_leaves_old_or_new_state(tmp_path, step):
    s, key, root = file_server(secrets=6, value="old")
    archive = str(tmp_path / "new.snap")
    try:
        put_secrets(s, root, "kv", 6, "new")
        assert s.stop() == 0
        assert backup(s, "save", f"-unseal-key={key}", archive).returncode == 0
        s.start()
        s.unseal([key])
        put_secrets(s, root, "kv", 6, "old")
        assert s.stop() == 0

        crashed_restore(s, key, archive, {"TRESOR_CRASH_AT_FOR_TEST": step})
        leftovers = [n for n in os.listdir(os.path.dirname(s.data_dir)) if ".restore-" in n]
        assert len(leftovers) == 1
        expected = "new" if step == "swapped" else "old"
        assert state_after_crash(s, key, root) == {i: expected for i in range(6)}

        # The next restore removes the leftover and completes.
        done = backup(s, "restore", f"-unseal-key={key}", archive)
        assert done.returncode == 0, done
        assert not [n for n in os.listdir(os.path.dirname(s.data_dir)) if ".restore-" in n]
        assert state_after_crash(s, key, root) == {i: "new" for i in range(6)}
    finally:
        s.close()


def test_kill_9_at_random_moments_never_mixes_states(tmp_path):
    s, key, root = file_server(secrets=6, value="new")
    archive = str(tmp_path / "new.snap")
    try:
        put_secrets(s, root, "kv", 40, "filler", prefix="fill")
        assert s.stop() == 0
        assert backup(s, "save", f"-unseal-key={key}", archive).returncode == 0
        s.start()
        s.unseal([key])
        put_secrets(s, root, "kv", 6, "old")
        assert s.stop() == 0
        rng = random.Random(5)
        for _ in range(4):
            proc = subprocess.Popen([BINARY, "operator", "backup", "restore",
                                     f"-config={s.config_path}", f"-unseal-key={key}", archive],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.3))  # a random moment, not synchronisation
            proc.kill()
            proc.wait()
            values = state_after_crash(s, key, root)
            assert set(values.values()) in ({"old"}, {"new"}), values
            if values[0] == "new":  # put the old state back for the next round
                s.start()
                s.unseal([key])
                put_secrets(s, root, "kv", 6, "old")
                assert s.stop() == 0
    finally:
        s.close()
