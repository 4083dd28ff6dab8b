#!/usr/bin/env python3
"""DR replication benchmark (one scenario of the `make bench` suite; `make
bench-dr` runs it alone): a one-node primary and a one-node secondary on
loopback, on the same 2 cores.

  * Lag under write load: tresor-loadgen writes KV v2 (100-byte values) at a
    fixed rate (1,000/s by default, open loop) on the primary while the
    bench samples both sides' DR status every few ms. *Index lag*: for each
    log index, from the first sample where the primary had it to the first
    where the secondary had it. *Recovery point*: the secondary's reported
    lag_seconds (every write the primary acknowledged more than that long
    ago is on the secondary). p50 and p99 of each.
  * Promotion: from the promote request (with a batch DR operation token
    made on the primary beforehand) to the first KV write the promoted
    cluster answers; then the old primary is demoted and follows the new
    one (update-primary, no wipe), and the roles swap for the next trial.
    Median and max over the trials.
  * Resync: a primary holding N x 1 KiB values, a new secondary enabled:
    from the enable request to the secondary streaming at the primary's
    position, and the values' MB per second of that.

Writes bench/results/dr.json and .md and regenerates docs/performance.md.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402

PROMOTE_POLICY = """
path "sys/replication/dr/secondary/promote" { capabilities = ["update"] }
path "sys/replication/dr/secondary/update-primary" { capabilities = ["update"] }
"""


def log(message):
    print(f"[dr_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def loadgen(binary, node, token, args, timeout):
    cmd = [binary, "--addr", node.address, "--token", token, "--json", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"tresor-loadgen failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def new_node(harness, workdir, name):
    node = harness.TresorServer(storage="raft", workdir=os.path.join(workdir, name))
    node.start()
    return node


def pair(harness, dr, workdir, tag):
    """A primary and a secondary following it, both unsealed with the
    primary's keys. Returns (primary, secondary, keys, root)."""
    os.makedirs(os.path.join(workdir, f"{tag}-p"))
    os.makedirs(os.path.join(workdir, f"{tag}-s"))
    primary = new_node(harness, workdir, f"{tag}-p")
    init = primary.init(1, 1)
    keys, root = init["keys"], init["root_token"]
    primary.unseal(keys)
    harness.wait_for(lambda: primary.api("GET", "sys/health").status == 200, timeout=60)
    assert primary.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                       token=root).status == 204
    secondary = new_node(harness, workdir, f"{tag}-s")
    sinit = secondary.init(1, 1)
    secondary.unseal(sinit["keys"])
    harness.wait_for(lambda: secondary.api("GET", "sys/health").status == 200, timeout=60)
    dr.enable_primary(primary, root)
    return primary, secondary, keys, root, sinit["root_token"]


def follow(harness, dr, primary, secondary, keys, root, secondary_root, name):
    token = dr.secondary_token(primary, root, name)
    started = time.monotonic()
    r = secondary.api("POST", "sys/replication/dr/secondary/enable", {"token": token},
                      token=secondary_root)
    assert r.status == 200, r
    dr.wait_sealed(secondary)
    secondary.unseal(keys)
    dr.wait_caught_up(primary, secondary, timeout=600)
    return time.monotonic() - started


def measure_lag(harness, dr, binary, primary, secondary, root, rate, duration):
    samples = {"primary": [], "secondary": [], "lag_seconds": []}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            t = time.monotonic()
            p = dr.dr_status(primary)["last_wal"]
            s = dr.dr_status(secondary)
            samples["primary"].append((t, p))
            samples["secondary"].append((time.monotonic(), s["last_remote_wal"]))
            samples["lag_seconds"].append(s["lag_seconds"])
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        load = loadgen(binary, primary, root,
                       ["--workload", "kv2-write", "--value-size", "100", "--rate", str(rate),
                        "--connections", "16", "--duration", str(duration),
                        "--key-prefix", "lag"], timeout=duration + 120)
    finally:
        stop.set()
        sampler.join()
    first_primary, first_secondary = {}, {}
    for t, index in samples["primary"]:
        first_primary.setdefault(index, t)
    for t, index in samples["secondary"]:
        first_secondary.setdefault(index, t)
    seen = sorted(first_primary)
    lags = []
    for index in seen:
        later = [t for i, t in first_secondary.items() if i >= index]
        if later:
            lags.append(max(0.0, min(later) - first_primary[index]))
    rp = [s for s in samples["lag_seconds"] if s is not None and s >= 0]
    result = {"rate": rate, "duration_s": duration, "achieved_rate": load.get("throughput_rps"),
              "indexes_sampled": len(lags),
              "index_lag_p50_ms": percentile(lags, 50) * 1000,
              "index_lag_p99_ms": percentile(lags, 99) * 1000,
              "recovery_point_p50_ms": percentile(rp, 50) * 1000,
              "recovery_point_p99_ms": percentile(rp, 99) * 1000,
              "write_p99_ms": load.get("latency_ms", {}).get("p99")}
    log(f"lag at {rate}/s: index lag p50 {result['index_lag_p50_ms']:.1f} ms, p99 "
        f"{result['index_lag_p99_ms']:.1f} ms; recovery point p50 "
        f"{result['recovery_point_p50_ms']:.1f} ms, p99 {result['recovery_point_p99_ms']:.1f} ms")
    return result


def measure_promotions(harness, dr, primary, secondary, root, trials):
    assert primary.api("PUT", "sys/policies/acl/dr-ops", {"policy": PROMOTE_POLICY},
                       token=root).status == 204
    r = primary.api("POST", "auth/token/create-orphan", {"policies": ["dr-ops"], "ttl": "24h"},
                    token=root)
    assert r.status == 200, r
    batch = r.json["auth"]["client_token"]
    dr.wait_caught_up(primary, secondary)
    times = []
    for trial in range(trials):
        started = time.monotonic()
        r = secondary.api("POST", "sys/replication/dr/secondary/promote",
                          {"dr_operation_token": batch})
        assert r.status == 204, r
        while secondary.api("POST", "secret/data/promoted", {"data": {"trial": trial}},
                            token=root).status != 200:
            time.sleep(0.005)
        times.append(time.monotonic() - started)
        log(f"promotion {trial + 1}: {times[-1] * 1000:.0f} ms")
        # Fail back: the old primary follows the new one, and they swap.
        assert primary.api("POST", "sys/replication/dr/primary/demote", {},
                           token=root).status == 204
        token = dr.secondary_token(secondary, root, f"swap-{trial}")
        r = primary.api("POST", "sys/replication/dr/secondary/update-primary",
                        {"dr_operation_token": batch, "token": token})
        assert r.status == 204, r
        dr.wait_caught_up(secondary, primary)
        primary, secondary = secondary, primary
    return {"trials": trials, "runs_s": times, "median_s": statistics.median(times),
            "max_s": max(times)}


def measure_resync(harness, dr, binary, workdir, values):
    primary, secondary, keys, root, sroot = pair(harness, dr, workdir, "resync")
    try:
        loadgen(binary, primary, root,
                ["--workload", "kv2-write", "--value-size", "1024", "--requests", str(values),
                 "--connections", "16", "--key-prefix", "resync"], timeout=1800)
        seconds = follow(harness, dr, primary, secondary, keys, root, sroot, "resync")
    finally:
        primary.stop()
        secondary.stop()
    mb = values * 1024 / 1e6
    result = {"values": values, "value_bytes": 1024, "payload_mb": mb, "seconds": seconds,
              "mb_per_s": mb / seconds}
    log(f"resync of {values} x 1 KiB: {seconds:.1f} s, {result['mb_per_s']:.1f} MB/s")
    return result


def markdown(results):
    lag, promo, resync = results["lag"], results["promotion"], results["resync"]
    return "\n".join([
        "One-node primary and one-node secondary on loopback, same machine. "
        f"*Lag*: KV v2 writes of 100 bytes at {lag['rate']}/s (open loop, 16 connections) for "
        f"{lag['duration_s']} s on the primary while both DR statuses are sampled every few ms; "
        "*index lag*: from the first sample where the primary's log had an index to the first "
        "where the secondary's had it; *recovery point*: the secondary's reported "
        "`lag_seconds` (writes acknowledged longer ago than that are on the secondary). "
        f"*Promotion*: {promo['trials']} trials, from the promote request (batch DR operation "
        "token) to the first write the promoted cluster answers; between trials the old "
        "primary is demoted and follows the new one without a wipe. *Resync*: a new "
        f"secondary of a primary holding {resync['values']} x 1 KiB values, from the enable "
        "request to streaming at the primary's position (unseal included).", "",
        "| measure | p50 / median | p99 / max | target |", "|---|---:|---:|---|",
        f"| index lag at {lag['rate']} writes/s | {lag['index_lag_p50_ms']:.1f} ms | "
        f"{lag['index_lag_p99_ms']:.1f} ms | p99 < 1000 ms |",
        f"| recovery point at {lag['rate']} writes/s | {lag['recovery_point_p50_ms']:.1f} ms | "
        f"{lag['recovery_point_p99_ms']:.1f} ms | |",
        f"| promotion, request to first served write | {promo['median_s'] * 1000:.0f} ms | "
        f"{promo['max_s'] * 1000:.0f} ms | < 10 s |",
        f"| resync of {resync['payload_mb']:.0f} MB of values | "
        f"{resync['mb_per_s']:.1f} MB/s | {resync['seconds']:.1f} s in all | |",
        "", f"Writes achieved during the lag run: {lag['achieved_rate']:.0f} per second."]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--workdir", help="default <build-dir>/dr-work (wiped)")
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--resync-values", type=int, default=100000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    binary, loadgen_binary = bench_results.require_binaries(
        "dr_bench", build_dir, ("tresor", "tresor-loadgen"))
    raft_bench.load_harness(binary)
    import dr_support as dr
    import harness
    if args.quick:
        args.duration, args.trials, args.resync_values = 5, 3, 10000
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "dr-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir)
    started = time.monotonic()
    try:
        primary, secondary, keys, root, sroot = pair(harness, dr, workdir, "lag")
        try:
            follow(harness, dr, primary, secondary, keys, root, sroot, "lag")
            results["lag"] = measure_lag(harness, dr, loadgen_binary, primary, secondary, root,
                                         args.rate, args.duration)
            results["promotion"] = measure_promotions(harness, dr, primary, secondary, root,
                                                      args.trials)
        finally:
            primary.stop()
            secondary.stop()
        results["resync"] = measure_resync(harness, dr, loadgen_binary, workdir,
                                           args.resync_values)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "dr", results, "DR replication",
                               markdown(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
