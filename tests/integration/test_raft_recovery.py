"""Quorum loss and `tresor operator raft recover` on real processes: a
3-node cluster loses two nodes (the active among them) to kill -9; the
survivor cannot write; recover, run offline on it, makes it the only voter;
restarted and unsealed it serves every write acknowledged before, takes new
ones, and a wiped node joins it again. Bad input to recover changes nothing."""
import subprocess

from harness import (BINARY, TresorServer, form_raft_cluster, join_and_unseal, voters,
                     wait_for, close_all)


def recover(node, *extra):
    return subprocess.run([BINARY, "operator", "raft", "recover", f"-config={node.config_path}",
                           *extra], capture_output=True, text=True, timeout=60)


def applied_index(node):
    return node.api("GET", "sys/leader").json["raft_applied_index"]


def is_active(node):
    return node.api("GET", "sys/leader").json.get("is_self") is True


def test_recover_brings_back_a_cluster_that_lost_its_majority():
    nodes, keys, root = form_raft_cluster(3, shares=3, threshold=2)
    rejoined = None
    try:
        active = next(n for n in nodes if is_active(n))
        assert active.api("POST", "sys/mounts/secret",
                          {"type": "kv", "options": {"version": "2"}}, token=root).status == 204
        written = {}
        for i in range(10):
            written[f"k{i}"] = f"value-{i}"
            r = active.api("POST", f"secret/data/k{i}", {"data": {"v": f"value-{i}"}},
                           token=root)
            assert r.status == 200, r
        survivor = next(n for n in nodes if n is not active)
        target = applied_index(active)
        wait_for(lambda: applied_index(survivor) >= target, what="the survivor to apply all")

        for n in nodes:
            if n is not survivor:
                n.kill()
        # Without a majority nothing is acknowledged (the survivor redirects
        # to the dead active or has no active to send to).
        r = survivor.api("POST", "secret/data/lost", {"data": {"v": "x"}}, token=root)
        assert r.status in (307, 500, 503), r

        # Recover refuses while the server runs (it holds the cluster port).
        running = recover(survivor)
        assert running.returncode == 1, running
        assert "Stop it first" in running.stderr

        assert survivor.stop() == 0
        done = recover(survivor)
        assert done.returncode == 0, done
        assert "Success!" in done.stdout and "1 voter" in done.stdout

        survivor.start()
        survivor.unseal(keys[:2])
        wait_for(lambda: is_active(survivor), timeout=30, what="the survivor to become active")
        assert len(voters(survivor, root)) == 1
        for key, value in written.items():
            r = survivor.api("GET", f"secret/data/{key}", token=root)
            assert r.status == 200, r
            assert r.json["data"]["data"] == {"v": value}
        assert survivor.api("GET", "secret/data/lost", token=root).status == 404
        r = survivor.api("POST", "secret/data/after", {"data": {"v": "recovered"}}, token=root)
        assert r.status == 200, r

        # A dead node, wiped, joins the recovered cluster and gets everything.
        rejoined = TresorServer(storage="raft").start()
        join_and_unseal(rejoined, survivor, keys[:2])
        wait_for(lambda: len(voters(survivor, root)) == 2, timeout=60, what="promotion")
        r = rejoined.api("GET", "secret/data/after", token=root)
        assert r.status == 200 and r.json["data"]["data"] == {"v": "recovered"}, r
    finally:
        close_all(nodes + ([rejoined] if rejoined else []))


def test_recover_refuses_bad_input_and_changes_nothing():
    with TresorServer(storage="raft") as fresh:
        fresh.stop()
        # A node that never had raft state has nothing to recover.
        r = recover(fresh)
        assert r.returncode == 1 and "holds no raft state" in r.stderr, r
        r = recover(fresh, "-peer=nonsense")
        assert r.returncode == 2 and "NODE_ID=HOST:PORT" in r.stderr, r
        r = subprocess.run([BINARY, "operator", "raft", "recover"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2 and "-config=FILE is required" in r.stderr, r
        # Still pristine: it can be initialised as usual.
        fresh.start()
        assert fresh.seal_status()["initialized"] is False
        fresh.init(1, 1)
