#!/usr/bin/env python3
"""HA fail-over benchmark: how long after a kill -9 of the active node a
write is acknowledged again, per HA backend, side by side in one run (one
scenario of the `make bench` suite; `make bench-ha` runs it alone).

Backends and lock settings:
  * raft: three nodes on integrated storage (leadership is the lock);
  * postgresql: two nodes on one throwaway PostgreSQL 15, with Vault's lock
    timings (lock_ttl 15s, renew 5s, retry 1s) and tight ones (3s, 1s, 1s);
  * etcd: two nodes on one throwaway etcd 3.4, lock_timeout 15s (Vault's
    default) and 3s.
Each trial: the active node is killed with -9 at a random moment; from then
on a KV v2 write is sent every 20 ms to a surviving node (which forwards it
once it knows the new active, or serves it once it is active); the time to
the first acknowledged write is the fail-over time. The killed node is then
restarted and unsealed before the next trial. Medians and maxima of N trials.

Writes bench/results/ha-failover.json and .md and regenerates
docs/performance.md.
"""
import argparse
import os
import random
import shutil
import statistics
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402

# (name, backend, lock settings inside the storage block, description)
CONFIGS = (
    ("raft", "raft", "", "3 nodes, election timeout 500 ms (performance_multiplier 1)"),
    ("postgresql default", "postgresql", "", "lock_ttl 15s, renew 5s, retry 1s (Vault's)"),
    ("postgresql tight", "postgresql",
     '  lock_ttl = "3s"\n  lock_renew_interval = "1s"\n  lock_retry_interval = "1s"\n',
     "lock_ttl 3s, renew 1s, retry 1s"),
    ("etcd default", "etcd", '  lock_timeout = "15s"\n', "lock_timeout 15s (Vault's)"),
    ("etcd tight", "etcd", '  lock_timeout = "3s"\n', "lock_timeout 3s"),
)


def log(message):
    print(f"[ha_failover_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def is_active(node):
    try:
        r = node.api("GET", "sys/leader", timeout=2)
    except OSError:
        return False
    return r.status == 200 and r.json.get("is_self") is True


def wait_one_active(nodes, timeout=120):
    import harness
    return harness.wait_for(lambda: next((n for n in nodes if n.proc and is_active(n)), None),
                            timeout=timeout, what="an active node")


def write_ok(node, token, i):
    try:
        r = node.api("POST", f"kv/data/failover{i}", {"data": {"i": i}}, token=token, timeout=5)
    except OSError:
        return False
    return r.status in (200, 204)


def external_block(backend, server, lock, place):
    """The storage stanza; `place` keeps each configuration's data apart on
    the one server (its own tables, or its own key prefix)."""
    if backend == "postgresql":
        return (f'storage "postgresql" {{\n  connection_url = "{server.url}"\n'
                f'  table = "kv_{place}"\n  ha_table = "locks_{place}"\n'
                f'  ha_enabled = "true"\n{lock}}}\n')
    return (f'storage "etcd" {{\n  address = "{server.url}"\n  path = "/{place}/"\n'
            f'  ha_enabled = "true"\n{lock}}}\n')


def form(backend, lock, server, place):
    """(nodes, unseal keys, root token) of a running cluster."""
    import harness
    if backend == "raft":
        nodes, keys, root = harness.form_raft_cluster(3, shares=1, threshold=1)
        return nodes, keys, root
    nodes = [harness.TresorServer(storage_block=external_block(backend, server, lock, place))
             for _ in range(2)]
    for n in nodes:
        n.start()
    init = nodes[0].init(1, 1)
    keys, root = init["keys"], init["root_token"]
    for n in nodes:
        n.unseal(keys)
    return nodes, keys, root


def trial(nodes, keys, root, number):
    """Seconds from kill -9 of the active to the next acknowledged write."""
    import harness
    active = wait_one_active(nodes)
    survivor = next(n for n in nodes if n is not active)  # any one of them for raft
    harness.wait_for(lambda: write_ok(survivor, root, -1), timeout=60,
                     what="a write through the survivor before the kill")
    time.sleep(random.uniform(0, 1))  # a random moment of the lock's renewal cycle
    killed_at = time.monotonic()
    active.kill()
    i = 0
    while not write_ok(survivor, root, number * 100000 + i):
        i += 1
        time.sleep(0.02)
        if time.monotonic() - killed_at > 120:
            raise RuntimeError("no write acknowledged within 120 s of the kill")
    elapsed = time.monotonic() - killed_at
    active.start()
    active.unseal(keys)
    harness.wait_for(lambda: knows_the_active(active), timeout=60,
                     what="the restarted node to know the active node")
    return elapsed


def knows_the_active(node):
    try:
        r = node.api("GET", "sys/leader", timeout=2)
    except OSError:
        return False
    return r.status == 200 and (r.json.get("is_self") or r.json.get("leader_address"))


def measure(index, name, backend, lock, trials):
    """One configuration on a database or etcd of its own (fresh, so that no
    earlier configuration's tables or keys are in the way)."""
    from etcd_support import EtcdServer
    from postgres_support import PostgresServer
    server = {"postgresql": PostgresServer, "etcd": EtcdServer}.get(backend, lambda: None)()
    if server is not None:
        server.start()
    nodes = []
    try:
        nodes, keys, root = form(backend, lock, server, f"bench{index}")
        active = wait_one_active(nodes)
        r = active.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                       token=root)
        assert r.status == 204, r
        runs = []
        for t in range(trials):
            runs.append(trial(nodes, keys, root, t))
            log(f"{name}: trial {t + 1}: {runs[-1]:.2f} s")
    finally:
        import harness
        harness.close_all(nodes)
        if server is not None:
            server.close()
    result = {"name": name, "backend": backend, "runs_s": runs,
              "median_s": statistics.median(runs), "max_s": max(runs)}
    log(f"{name}: median {result['median_s']:.2f} s, max {result['max_s']:.2f} s")
    return result


def markdown(results):
    lines = [f"Each row: the active node killed with -9 {results['trials']} times at a random "
             "moment; the time from the kill to the first write (KV v2, one every 20 ms to a "
             "surviving node) acknowledged again. The killed node is restarted and unsealed "
             "between trials. PostgreSQL 15 and etcd 3.4 run on loopback on the same machine.",
             "", "| backend | lock settings | fail-over median s | max s |",
             "|---|---|---:|---:|"]
    descriptions = {c[0]: c[3] for c in CONFIGS}
    for r in results["backends"]:
        lines.append(f"| {r['name']} | {descriptions.get(r['name'], '')} | "
                     f"{r['median_s']:.2f} | {r['max_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    (binary,) = bench_results.require_binaries("ha_failover_bench", build_dir)
    raft_bench.load_harness(binary)
    trials = 3 if args.quick else args.trials
    workdir = os.path.join(build_dir, "ha-failover-work")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, trials=trials)
    started = time.monotonic()
    results["backends"] = [measure(i, name, backend, lock, trials)
                           for i, (name, backend, lock, _) in enumerate(CONFIGS)]
    shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "ha-failover", results,
                               "HA fail-over time by backend", markdown(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
