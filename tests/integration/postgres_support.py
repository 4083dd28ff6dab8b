"""A throwaway PostgreSQL 15 for the storage "postgresql" tests, through
scripts/postgres-for-test: initdb into a temporary directory, the server on
loopback and a free port (run as the "postgres" OS user), a role "tresor"
with a password and its database, all stopped and deleted at the end (also
when the test fails, and by the script's watcher if pytest itself dies)."""
import os
import subprocess
import tempfile

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "postgres-for-test")


class PostgresServer:
    def __init__(self):
        self.parent = None
        self.dir = None
        self.url = None

    def start(self):
        self.parent = tempfile.mkdtemp(prefix="tresor-pg-it-")
        os.chmod(self.parent, 0o711)  # the server runs as "postgres"
        self.dir = os.path.join(self.parent, "pg")
        out = subprocess.run([SCRIPT, "start", self.dir, str(os.getpid())], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, f"postgres-for-test failed:\n{out.stderr}"
        self.url = out.stdout.strip()
        return self

    def url_with_password(self, password):
        scheme_end = len("postgresql://")
        colon = self.url.index(":", scheme_end)
        at = self.url.index("@")
        return self.url[:colon + 1] + password + self.url[at:]

    def down(self):
        """Stops the server as a crash would; its data stays."""
        out = subprocess.run([SCRIPT, "down", self.dir], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr

    def up(self):
        """Starts it again, on the same port, with its data."""
        out = subprocess.run([SCRIPT, "up", self.dir], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr

    def close(self):
        if self.dir:
            subprocess.run([SCRIPT, "stop", self.dir], capture_output=True, timeout=60)
            os.rmdir(self.parent)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def postgresql_storage_block(url, ha=True, extra=""):
    """A storage stanza for the harness (TresorServer(storage_block=...))."""
    return (f'storage "postgresql" {{\n  connection_url = "{url}"\n'
            f'  ha_enabled = "{"true" if ha else "false"}"\n{extra}}}\n')
