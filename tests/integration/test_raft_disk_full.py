"""A raft node whose disk fills up (its data directory on a 48 MiB tmpfs
the test mounts): writes are refused at once with a clear 503, reads keep
being served (every acknowledged write among them), and writing resumes by
itself once space returns, with no restart; what was acknowledged survives a
restart too (docs/reliability.md, "A full disk")."""
import errno
import os
import subprocess

import pytest

from harness import TresorServer, wait_for


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs",
                        str(mount_point)], capture_output=True, text=True)
    assert r.returncode == 0, f"mounting a 48 MiB tmpfs needs root: {r.stderr}"
    yield str(mount_point)
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)


def test_full_disk_refuses_writes_serves_reads_and_recovers_without_restart(small_disk):
    node = TresorServer(storage="raft", workdir=small_disk)
    with node:
        init = node.init(1, 1)
        node.unseal(init["keys"])
        root = init["root_token"]
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="the node active")
        r = node.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                     token=root)
        assert r.status == 204, r

        acked = {}

        def write(key, value):
            r = node.api("POST", f"kv/data/{key}", {"data": {"v": value}}, token=root)
            if r.status == 200:
                acked[key] = value
            return r

        for i in range(20):
            assert write(f"before-{i}", f"b{i}").status == 200

        ballast = os.path.join(small_disk, "ballast")
        fill(ballast)
        # The first writes may still fit in pages the store holds; soon one
        # is refused, and from then on each is, at once.
        refused = None
        for i in range(200):
            r = write(f"during-{i}", f"d{i}")  # a key each: a refused write may still land
            if r.status != 200:
                refused = r
                break
        assert refused is not None, "no write was refused on a full disk"
        assert refused.status == 503, refused
        assert "cannot commit" in refused.errors[0], refused.errors
        for i in range(5):
            r = write("refused", f"r{i}")
            assert r.status == 503 and "writes are refused" in r.errors[0], r

        # Reads go on, the node stays active, and every acknowledged write
        # is there.
        assert node.api("GET", "sys/health").status == 200
        for key, value in acked.items():
            r = node.api("GET", f"kv/data/{key}", token=root)
            assert r.status == 200, (key, r)
            assert r.json["data"]["data"]["v"] == value, key
        assert "refusing writes and retrying" in node.logs()

        os.remove(ballast)
        wait_for(lambda: write("after", "a").status == 200, timeout=30,
                 what="writes to resume once space returned")
        assert "writes resume" in node.logs()
        for key, value in acked.items():
            assert node.api("GET", f"kv/data/{key}", token=root).json["data"]["data"]["v"] \
                == value, key

        node.restart()
        node.unseal(init["keys"])
        wait_for(lambda: node.api("GET", "sys/health").status == 200,
                 what="the restarted node active")
        for key, value in acked.items():
            r = node.api("GET", f"kv/data/{key}", token=root)
            assert r.status == 200 and r.json["data"]["data"]["v"] == value, (key, r)
