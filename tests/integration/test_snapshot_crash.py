"""kill -9 of the server while it restores a snapshot: after a restart the
node holds either the whole old state or the whole new one, never a mix."""
import threading
import time

from harness import TresorServer
from snapshot_support import enable_kv1, put_secrets, read_secret, restore, save, \
    wait_unsealed_active

KEYS = 120
# Big values make the archive (and so the restore) take long enough to be
# caught in the middle: about 4 MiB in a few raft entries.
VALUE_A = "A" * 32768
VALUE_B = "B" * 32768


def _state(node, root):
    values = {read_secret(node, root, f"kv/k{i}") for i in range(KEYS)}
    marker = read_secret(node, root, "kv/marker0")
    return values, marker


def test_a_restore_killed_at_any_moment_leaves_the_old_or_the_new_state():
    with TresorServer(storage="raft") as s:
        init = s.init(1, 1)
        keys, root = init["keys"], init["root_token"]
        s.unseal(keys)
        wait_unsealed_active(s)
        enable_kv1(s, root)
        put_secrets(s, root, "kv", KEYS, VALUE_A)
        status, archive, _ = save(s, root)
        assert status == 200

        outcomes = []
        # Crash injection points, from "while the body is still uploading"
        # to "after the answer": the delays place the kill, they do not wait
        # for anything.
        for delay in (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8):
            values, marker = _state(s, root)
            if values != {VALUE_B} or marker != "present":
                put_secrets(s, root, "kv", KEYS, VALUE_B)
                put_secrets(s, root, "kv", 1, "present", prefix="marker")
            answer = {}
            worker = threading.Thread(
                target=lambda: answer.update(r=_try_restore(s, root, archive)))
            worker.start()
            time.sleep(delay)
            s.kill()
            worker.join()
            s.start()
            s.unseal(keys)
            wait_unsealed_active(s)
            values, marker = _state(s, root)
            if values == {VALUE_A}:
                assert marker is None, f"delay {delay}: old values with the new marker"
                outcomes.append("new")
            else:
                assert values == {VALUE_B}, f"delay {delay}: a mix of states: {len(values)} values"
                assert marker == "present", f"delay {delay}: new values without the marker"
                outcomes.append("old")
            if answer.get("r") == 204:
                assert outcomes[-1] == "new", f"delay {delay}: acknowledged but not installed"
        print("outcomes by delay:", outcomes)


def _try_restore(node, root, archive):
    try:
        return restore(node, root, archive, follow=False)[0]
    except OSError:
        return None  # the server died under the request
