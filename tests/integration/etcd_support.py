"""A throwaway etcd for the storage "etcd" tests, through
scripts/etcd-for-test: on loopback and free ports, its data in a temporary
directory, stopped and deleted at the end (also when the test fails, and by
the script's watcher if pytest itself dies)."""
import os
import subprocess
import tempfile

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "etcd-for-test")


class EtcdServer:
    def __init__(self):
        self.dir = None
        self.url = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="tresor-etcd-it-")
        os.rmdir(self.dir)  # the script creates it
        out = subprocess.run([SCRIPT, "start", self.dir, str(os.getpid())], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, f"etcd-for-test failed:\n{out.stderr}"
        self.url = out.stdout.strip()
        return self

    def kill(self):
        """Kills etcd (-9) and keeps its data, for resume()."""
        self._run("kill")

    def resume(self):
        """Starts etcd again on the same address and data; waits for it."""
        self._run("resume")

    def _run(self, command):
        out = subprocess.run([SCRIPT, command, self.dir], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, f"etcd-for-test {command} failed:\n{out.stderr}"

    def close(self):
        if self.dir:
            subprocess.run([SCRIPT, "stop", self.dir], capture_output=True, timeout=60)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def etcd_storage_block(url, ha=True, extra=""):
    """A storage stanza for the harness (TresorServer(storage_block=...))."""
    return (f'storage "etcd" {{\n  address = "{url}"\n'
            f'  ha_enabled = "{"true" if ha else "false"}"\n  lock_timeout = "5s"\n{extra}}}\n')
