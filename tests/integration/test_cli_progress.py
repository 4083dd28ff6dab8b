"""Progress of `tresor operator raft snapshot save|restore` on stderr: nothing
when stderr is not a terminal (here a pipe), and with TRESOR_PROGRESS=1 the
summary line of the transfer (bytes, time, rate) after any progress lines."""
import os
import re

from snapshot_support import put_secrets, read_secret
# The snapshot CLI's fixture: an active raft node, kv/ holding k0..k9 = "before".
from test_cli_snapshot import node  # noqa: F401

SIZE = r"\d+(?: B|\.\d (?:KiB|MiB|GiB))"


def human(n):
    """A byte count as the CLI prints it: "512 B", "12.3 KiB"."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1023.95 or unit == "GiB":
            return f"{value:.1f} {unit}"
        value /= 1024


def summary(stderr, verb):
    """The summary line of `verb` in stderr, without the line-rewriting
    prefix ("\\r" and ESC [K) before it; fails when there is none."""
    lines = [line.split("\x1b[K")[-1] for line in stderr.split("\n")]
    found = [line for line in lines if line.startswith(verb + " ")]
    assert found, f"no {verb!r} summary in {stderr!r}"
    return found[-1]


def assert_quiet(stderr):
    assert "\r" not in stderr and "\x1b" not in stderr, repr(stderr)
    assert not re.search(r"(saved|uploaded) " + SIZE, stderr), repr(stderr)


def test_save_is_quiet_on_a_pipe_and_reports_when_forced(node):
    s, _, root = node
    quiet = os.path.join(s.workdir, "quiet.snap")
    r = s.cli("operator", "raft", "snapshot", "save", quiet, token=root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Saved and verified snapshot to index ")
    assert_quiet(r.stderr)
    r = s.cli("operator", "raft", "snapshot", "save", quiet, token=root,
              env={"TRESOR_PROGRESS": "0"})
    assert r.returncode == 0, r.stderr
    assert_quiet(r.stderr)

    shown = os.path.join(s.workdir, "shown.snap")
    r = s.cli("operator", "raft", "snapshot", "save", shown, token=root,
              env={"TRESOR_PROGRESS": "1"})
    assert r.returncode == 0, r.stderr
    # stdout is unchanged: progress goes to stderr only.
    assert r.stdout.startswith("Saved and verified snapshot to index ")
    assert r.stderr.endswith("\n")
    line = summary(r.stderr, "saved")
    size = os.path.getsize(shown)
    assert re.fullmatch(rf"saved {re.escape(human(size))} in \d+\.\ds \({SIZE}/s\)", line), line


def test_restore_is_quiet_on_a_pipe_and_reports_when_forced(node):
    s, _, root = node
    path = os.path.join(s.workdir, "backup.snap")
    r = s.cli("operator", "raft", "snapshot", "save", path, token=root)
    assert r.returncode == 0, r.stderr
    size = os.path.getsize(path)

    put_secrets(s, root, "kv", 10, "after")
    r = s.cli("operator", "raft", "snapshot", "restore", path, token=root)
    assert r.returncode == 0, r.stderr
    assert_quiet(r.stderr)
    assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10

    put_secrets(s, root, "kv", 10, "after")
    r = s.cli("operator", "raft", "snapshot", "restore", path, token=root,
              env={"TRESOR_PROGRESS": "1"})
    assert r.returncode == 0, r.stderr
    line = summary(r.stderr, "uploaded")
    assert re.fullmatch(rf"uploaded {re.escape(human(size))} in \d+\.\ds \({SIZE}/s\)", line), line
    assert [read_secret(s, root, f"kv/k{i}") for i in range(10)] == ["before"] * 10


def test_a_failed_restore_leaves_no_summary_and_a_clean_error(node):
    s, _, root = node
    bad = os.path.join(s.workdir, "bad.snap")
    with open(bad, "wb") as f:
        f.write(b"not a snapshot at all")
    r = s.cli("operator", "raft", "snapshot", "restore", bad, token=root,
              env={"TRESOR_PROGRESS": "1"})
    assert r.returncode == 2 and "nothing was changed" in r.stderr
    assert "uploaded " not in r.stderr, repr(r.stderr)
    # The error starts on a clean line: after the clearing of a progress
    # line, if one was drawn.
    assert r.stderr.split("\x1b[K")[-1].startswith("Error"), repr(r.stderr)
