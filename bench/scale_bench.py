#!/usr/bin/env python3
"""Scale benchmark: what a single node costs in memory and disk, and how fast
it saves, restores and starts, as the stored data grows; next to etcd 3.4
doing the same in the same run (one scenario of the `make bench` suite).

For each size (make bench: 100 MB and 1 GB of values; bench-quick: 20 MB),
N = size / 2 KiB values of 2 KiB random bytes are written, each under its
own key, through each system's API by tresor-loadgen (16 connections):

Tresor, one raft node (a real `tresor server`, initialised and unsealed,
KV v2 at secret/):
  * load: KV v2 writes; the server's RSS sampled every 20 ms (peak), then
    again 5 s after the last write (settled: what the node keeps);
  * disk: the node's storage directory (raft log + state store) next to
    the ciphertext it holds (state.bin of the snapshot saved below: every
    key and value as stored);
  * save: `GET sys/storage/raft/snapshot` to a file, fsynced (curl);
  * cold start: the node is stopped (SIGTERM) and started again; seconds to
    its first sys/health answer, then to serving a read after the unseal;
  * restore: the saved archive POSTed to sys/storage/raft/snapshot-force of
    a fresh node, to the 204, with that node's RSS sampled (peak).

etcd 3.4 (Debian etcd-server, one member, fsync on, --quota-backend-bytes
8 GiB): the same N puts (loadgen --protocol etcd, POST /v3/kv/put), its RSS
and data directory the same way, `etcdctl snapshot save`, a restart to a
served range, and `etcdctl snapshot restore` (offline, no server) with its
peak RSS.

Writes bench/results/scale.json and .md and regenerates docs/performance.md.
Run it through `make bench` or `make bench-quick`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402
import snapshot_bench  # noqa: E402
import startup_bench  # noqa: E402
from peers import Etcd, b64, etcd_version  # noqa: E402

MB = 1000 * 1000
MIB = 1024 * 1024
VALUE_SIZE = 2048
CONNECTIONS = 16
SETTLE_S = 5  # measurement protocol: RSS this long after the load, not a wait for a condition
FULL_SIZES_MB = (100, 1000)
QUICK_SIZES_MB = (20,)
PROBE_PATH = "scale-probe"


def log(message):
    print(f"[scale_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load(loadgen, cmd_addr, entries, prefix):
    """tresor-loadgen kv2-write of `entries` 2 KiB values; its JSON result."""
    cmd = [loadgen, *cmd_addr, "--connections", str(CONNECTIONS), "--requests", str(entries),
           "--workload", "kv2-write", "--value-size", str(VALUE_SIZE),
           "--key-prefix", prefix, "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"tresor-loadgen failed ({out.returncode}): {out.stderr.strip()}")
    result = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"tresor-loadgen: {result['errors']} errors while loading")
    return result


def measured_load(pid, run):
    """Runs `run` with pid's RSS sampled; returns (run's result, memory)."""
    sampler = snapshot_bench.RssSampler(pid)
    sampler.start()
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    memory = sampler.stop()
    time.sleep(SETTLE_S)
    settled = startup_bench.rss_mib(pid)
    return result, {"load_s": seconds, "rss_peak_mib": memory["rss_peak_mib"],
                    "anon_peak_mib": memory["anon_peak_mib"],
                    "rss_settled_mib": settled["rss_mib"],
                    "anon_settled_mib": settled["anon_mib"]}


# --- Tresor -------------------------------------------------------------------

def tresor_node(workdir):
    os.makedirs(workdir)
    node = raft_bench.TresorServer(storage="raft", workdir=workdir)
    node.start()
    init = node.init(1, 1)
    node.unseal(init["keys"])
    raft_bench.wait_for(lambda: raft_bench.is_active(node), timeout=60,
                        what="the node to become active")
    raft_bench.ensure_kv2_at_secret(node, init["root_token"])
    return node, init


def state_bin_bytes(binary, archive):
    """The size of state.bin in a Tresor archive (meta.json's `size`)."""
    out = subprocess.run([binary, "operator", "raft", "snapshot", "inspect", "-format=json",
                          archive], capture_output=True, text=True, check=True)
    return int(json.loads(out.stdout)["meta"]["size"])


def tresor_size(binary, loadgen, workdir, size_mb):
    entries = size_mb * MB // VALUE_SIZE
    node, init = tresor_node(os.path.join(workdir, "tresor"))
    root = init["root_token"]
    result = {"entries": entries, "value_bytes": entries * VALUE_SIZE}
    try:
        r = node.api("POST", f"secret/data/{PROBE_PATH}", {"data": {"value": "probe"}}, token=root)
        if r.status != 200:
            raise RuntimeError(f"writing the probe secret failed: {r}")
        writes, result["memory"] = measured_load(
            node.pid, lambda: load(loadgen, ["--addr", node.address, "--token", root], entries,
                                   "scale"))
        result["load_rps"] = writes["throughput_rps"]
        log(f"tresor {size_mb} MB: {entries} writes in {result['memory']['load_s']:.1f} s, "
            f"RSS peak {result['memory']['rss_peak_mib']:.0f} MiB, settled "
            f"{result['memory']['rss_settled_mib']:.0f} MiB")
        saved = os.path.join(workdir, "tresor.snap")
        result["save"] = snapshot_bench.tresor_save(node, root, saved, entries * VALUE_SIZE)
        result["ciphertext_mib"] = state_bin_bytes(binary, saved) / MIB
        disk_of = startup_bench.dir_mib
        result["disk"] = {"raft_log_mib": disk_of(os.path.join(node.data_dir, "raft")),
                          "state_mib": disk_of(os.path.join(node.data_dir, "state")),
                          "total_mib": disk_of(node.data_dir)}
        startup_bench.stop_cleanly(node)
        small = {"root": root, "keys": init["keys"], "probe_value": "probe"}
        old_probe, startup_bench.PROBE_PATH = startup_bench.PROBE_PATH, PROBE_PATH
        try:
            result["restart"] = startup_bench.tresor_restart(node, small)
        finally:
            startup_bench.PROBE_PATH = old_probe
        log(f"tresor {size_mb} MB: cold start {result['restart']['cold_start_s']:.2f} s, "
            f"serving after unseal {result['restart']['to_serving_s']:.2f} s")
    finally:
        node.stop()
    restored, result["restore"] = snapshot_bench.tresor_restore(
        workdir, "scale", saved, os.path.getsize(saved), entries * VALUE_SIZE)
    restored.stop()
    shutil.rmtree(os.path.join(workdir, "tresor"), ignore_errors=True)
    shutil.rmtree(restored.workdir, ignore_errors=True)
    os.remove(saved)
    return result


# --- etcd ----------------------------------------------------------------------

def etcd_size(loadgen, workdir, size_mb):
    entries = size_mb * MB // VALUE_SIZE
    env = {**os.environ, "ETCDCTL_API": "3"}
    etcd = startup_bench.TimedEtcd(os.path.join(workdir, "etcd"))
    etcd.start()
    result = {"entries": entries, "value_bytes": entries * VALUE_SIZE}
    saved = os.path.join(workdir, "etcd.snapshot.db")
    try:
        writes, result["memory"] = measured_load(
            etcd.proc.pid, lambda: load(loadgen, ["--addr", etcd.client_url, "--protocol", "etcd"],
                                        entries, "scale"))
        result["load_rps"] = writes["throughput_rps"]
        log(f"etcd {size_mb} MB: {entries} puts in {result['memory']['load_s']:.1f} s, "
            f"RSS peak {result['memory']['rss_peak_mib']:.0f} MiB, settled "
            f"{result['memory']['rss_settled_mib']:.0f} MiB")
        result["save"] = snapshot_bench.etcd_save(etcd, saved, entries * VALUE_SIZE, env)
        result["disk"] = {"total_mib": startup_bench.dir_mib(etcd.data_dir)}
        etcd.stop()
        started = time.monotonic()
        etcd.start()
        cold_s = time.monotonic() - started
        status, body = etcd.post("/v3/kv/range", {"key": b64(b"scale/"),
                                                  "range_end": b64(b"scale0"),
                                                  "count_only": True})
        if status != 200 or int(json.loads(body).get("count", 0)) < entries:
            raise RuntimeError(f"etcd after restart: {status} {body[:300]!r}")
        result["restart"] = {"cold_start_s": cold_s, "to_serving_s": time.monotonic() - started}
    finally:
        etcd.stop()
    restored = Etcd(os.path.join(workdir, "etcd-restored"), name="restored")
    seconds, client_mib, _ = snapshot_bench.run_timed(
        ["etcdctl", "snapshot", "restore", saved, "--data-dir", restored.data_dir, "--name",
         restored.name, "--initial-cluster", f"{restored.name}={restored.peer_url}",
         "--initial-advertise-peer-urls", restored.peer_url], env=env)
    result["restore"] = snapshot_bench.rates(
        {"seconds": seconds, "client_peak_rss_mib": client_mib}, os.path.getsize(saved),
        entries * VALUE_SIZE)
    log(f"etcd {size_mb} MB: restore {seconds:.2f} s, etcdctl peak {client_mib:.0f} MiB")
    for path in (etcd.data_dir, restored.data_dir):
        shutil.rmtree(path, ignore_errors=True)
    os.remove(saved)
    return result


# --- report ----------------------------------------------------------------------

def fmt(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


def markdown_tables(results):
    lines = [
        f"N values of {VALUE_SIZE} bytes written through each system's API by tresor-loadgen "
        f"({CONNECTIONS} connections), one node each, same machine and run. RSS peak is the "
        f"highest sample during the load; settled is {SETTLE_S} s after it. In brackets the "
        "anonymous part (RssAnon): the rest is file pages both stores map (LMDB, bbolt), which "
        "the kernel reclaims under pressure. Restore peak RSS is "
        "the Tresor server's (a fresh node restoring with snapshot-force) and etcdctl's own "
        "(etcd restores offline, with no server). Disk is the whole data directory; for Tresor "
        "also the raft log and the state store, and its ratio to the ciphertext it holds (the "
        "saved snapshot's state.bin).",
        "",
        "| data | system | load writes/s | RSS peak MiB (anon) | RSS settled MiB (anon) | "
        "disk MiB | disk / ciphertext | save s | save MB/s | restore s | "
        "restore peak RSS MiB (anon) | cold start s | to serving s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in results["sizes"]:
        label = f"{run['size_mb']} MB ({run['tresor']['entries']:,} values)"
        for name, r in (("Tresor", run["tresor"]), ("etcd", run["etcd"])):
            disk = r["disk"]["total_mib"]
            ratio = disk / r["ciphertext_mib"] if r.get("ciphertext_mib") else None
            restore = r["restore"]
            restore_rss = (f"{fmt(restore['rss_peak_mib'], 0)} "
                           f"({fmt(restore['anon_peak_mib'], 0)})" if "rss_peak_mib" in restore
                           else f"{fmt(restore['client_peak_rss_mib'], 0)} (etcdctl)")
            m = r["memory"]
            lines.append(
                f"| {label} | {name} | {fmt(r['load_rps'], 0)} | "
                f"{fmt(m['rss_peak_mib'], 0)} ({fmt(m['anon_peak_mib'], 0)}) | "
                f"{fmt(m['rss_settled_mib'], 0)} ({fmt(m['anon_settled_mib'], 0)}) "
                f"| {fmt(disk, 0)} | {fmt(ratio, 2)} | {fmt(r['save']['seconds'], 2)} | "
                f"{fmt(r['save']['entry_mb_s'])} | {fmt(restore['seconds'], 2)} | "
                f"{restore_rss} | {fmt(r['restart']['cold_start_s'], 2)} | "
                f"{fmt(r['restart']['to_serving_s'], 2)} |")
    lines += ["", "Tresor's disk in detail:", "",
              "| data | raft log MiB | state store MiB | ciphertext MiB |", "|---|---:|---:|---:|"]
    for run in results["sizes"]:
        t = run["tresor"]
        lines.append(f"| {run['size_mb']} MB | {fmt(t['disk']['raft_log_mib'], 0)} | "
                     f"{fmt(t['disk']['state_mib'], 0)} | {fmt(t['ciphertext_mib'], 0)} |")
    if len(results["sizes"]) > 1:
        small, large = results["sizes"][0], results["sizes"][-1]
        lines += ["", f"From {small['size_mb']} MB to {large['size_mb']} MB:", "",
                  "| measure | Tresor | etcd |", "|---|---:|---:|"]
        for label, path in (("RSS settled, growth factor", ("memory", "rss_settled_mib")),
                            ("RSS peak, growth factor", ("memory", "rss_peak_mib")),
                            ("anonymous RSS settled, growth factor",
                             ("memory", "anon_settled_mib")),
                            ("anonymous RSS peak, growth factor", ("memory", "anon_peak_mib"))):
            cells = []
            for system in ("tresor", "etcd"):
                a = small[system][path[0]][path[1]]
                b = large[system][path[0]][path[1]]
                cells.append(fmt(b / a, 2) + "x")
            lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
        t, e = large["tresor"], large["etcd"]
        gib = t["value_bytes"] / (1 << 30)
        lines.append(f"| restore, seconds per GiB of values | "
                     f"{fmt(t['restore']['seconds'] / gib, 1)} | "
                     f"{fmt(e['restore']['seconds'] / gib, 1)} |")
        lines.append(f"| save MB/s, Tresor/etcd | "
                     f"{fmt(t['save']['entry_mb_s'] / e['save']['entry_mb_s'], 2)}x | |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--workdir", help="data directories (default <build-dir>/scale-work, "
                        "wiped before and after)")
    parser.add_argument("--sizes", type=int, nargs="+", help="MB of values per run")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    build_dir = os.path.abspath(args.build_dir)
    binary, loadgen = bench_results.require_binaries("scale_bench", build_dir,
                                                     ("tresor", "tresor-loadgen"))
    raft_bench.load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "scale-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    sizes = args.sizes or (QUICK_SIZES_MB if args.quick else FULL_SIZES_MB)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, value_size=VALUE_SIZE,
                                        connections=CONNECTIONS)
    started = time.monotonic()
    results["peer_versions"] = {"etcd": etcd_version()}
    results["sizes"] = []
    for size_mb in sizes:
        run = {"size_mb": size_mb}
        run["tresor"] = tresor_size(binary, loadgen, workdir, size_mb)
        run["etcd"] = etcd_size(loadgen, workdir, size_mb)
        results["sizes"].append(run)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "scale", results, "Scale",
                               markdown_tables(results), args.doc)
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {results['wall_time_s']:.0f} s: {args.results_dir}/scale.json, scale.md")


if __name__ == "__main__":
    main()
