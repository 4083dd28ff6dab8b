"""A single raft node killed with -9 while eight writers keep it busy keeps
every write it acknowledged. The node answers a write once it is durable in
its raft log, while its LMDB store may still be committing it
(docs/raft.md, "How a write travels"): after the kill, the restart must
apply those entries again from the log. Checked over three kill cycles,
each at a different moment of the load, and a listing after each restart
must name every acknowledged key."""
import threading

from harness import TresorServer, wait_for

WRITERS = 8


def test_kill_9_under_concurrent_writes_loses_no_acknowledged_write(tmp_path):
    server = TresorServer(storage="raft", workdir=str(tmp_path))
    server.start()
    try:
        init = server.init(1, 1)
        keys, root = init["keys"], init["root_token"]
        server.unseal(keys)
        wait_for(lambda: server.api("GET", "sys/health").status == 200, timeout=60)
        assert server.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                          token=root).status == 204
        acknowledged = {}  # key -> value, every write answered 200
        lock = threading.Lock()
        for cycle in range(3):
            stop = threading.Event()

            def writer(number, cycle=cycle, stop=stop):
                i = 0
                while not stop.is_set():
                    key = f"c{cycle}/w{number}-{i}"
                    try:
                        r = server.api("POST", f"kv/data/{key}", {"data": {"v": i}},
                                       token=root, timeout=10)
                    except OSError:
                        return  # the server is gone: this write was never answered
                    if r.status == 200:
                        with lock:
                            acknowledged[key] = i
                    i += 1

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
            for t in threads:
                t.start()
            # A different amount of load before each kill.
            target = len(acknowledged) + 50 * (cycle + 1)
            wait_for(lambda: len(acknowledged) >= target, timeout=60)
            assert server.kill() == -9
            stop.set()
            for t in threads:
                t.join()
            server.start()
            server.unseal(keys)
            wait_for(lambda: server.api("GET", "sys/health").status == 200, timeout=60)
            for key, value in acknowledged.items():
                r = server.api("GET", f"kv/data/{key}", token=root)
                assert r.status == 200 and r.json["data"]["data"] == {"v": value}, (key, r)
            listed = server.api("LIST", f"kv/metadata/c{cycle}/", token=root)
            assert listed.status == 200
            names = set(listed.json["data"]["keys"])
            mine = {k.split("/", 1)[1] for k in acknowledged if k.startswith(f"c{cycle}/")}
            assert mine <= names, sorted(mine - names)[:5]
    finally:
        server.close()
