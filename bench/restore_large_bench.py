#!/usr/bin/env python3
"""Large restore benchmark: a snapshot of N GiB (make bench-restore-large:
10 GiB) restored into a fresh single node, timed, with the server's memory
sampled throughout. Tresor only: etcd would need hours to be loaded with as
much through its API, and the point is Tresor's own bound (docs/raft.md,
"Memory").

A small node is initialised and its snapshot saved; bench/snapshot_archive.py
builds from it an archive with N GiB of 64 KiB random values (ciphertext-
shaped, never read) under secret/'s mount, which `tresor operator raft
snapshot inspect` verifies; the archive is POSTed to
sys/storage/raft/snapshot-force of a fresh uninitialised node (curl -T, to
the 204) while the node's VmRSS and RssAnon are sampled every 20 ms; the
node is then unsealed with the small node's key and must become active and
serve.

Writes bench/results/restore-large.json and .md and regenerates
docs/performance.md, where it follows the scale section.
"""
import argparse
import os
import shutil
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402
import snapshot_archive  # noqa: E402
import snapshot_bench  # noqa: E402
import startup_bench  # noqa: E402

GIB = 1 << 30
VALUE_SIZE = 64 * 1024


def log(message):
    print(f"[restore_large_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(binary, workdir, gib):
    entries = gib * GIB // VALUE_SIZE
    small, init = snapshot_bench.start_small_node(os.path.join(workdir, "small"))
    small_path = os.path.join(workdir, "small.snap")
    try:
        mount_uuid = snapshot_bench.mount_uuid_of(small, init["root_token"], "secret")
        snapshot_bench.curl("-o", small_path, "-H", f"X-Vault-Token: {init['root_token']}",
                            f"{small.address}/v1/sys/storage/raft/snapshot")
    finally:
        small.stop()
    built_path = os.path.join(workdir, "large.snap")
    started = time.monotonic()
    built = snapshot_archive.build(small_path, built_path, mount_uuid, entries, VALUE_SIZE, workdir)
    build_s = time.monotonic() - started
    log(f"built {built['archive_bytes'] / GIB:.2f} GiB ({entries} values) in {build_s:.0f} s")
    total, bench = snapshot_bench.tresor_inspect(binary, built_path, mount_uuid)
    if bench != entries:
        raise RuntimeError(f"inspect: {bench} bench records, not {entries}")
    node, restore = snapshot_bench.tresor_restore(workdir, "large", built_path,
                                                 built["archive_bytes"], entries * VALUE_SIZE)
    try:
        node.unseal(init["keys"])
        raft_bench.wait_for(lambda: raft_bench.is_active(node), timeout=120,
                            what="the restored node to become active")
        r = node.api("GET", "sys/storage/raft/configuration", token=init["root_token"])
        if r.status != 200:
            raise RuntimeError(f"the restored node does not serve: {r}")
        state_mib = startup_bench.dir_mib(os.path.join(node.data_dir, "state"))
    finally:
        node.stop()
    os.remove(built_path)
    log(f"restore of {gib} GiB: {restore['seconds']:.1f} s, server RSS peak "
        f"{restore['rss_peak_mib']:.0f} MiB (anonymous {restore['anon_peak_mib']:.0f} MiB)")
    return {"gib": gib, "entries": entries, "value_size": VALUE_SIZE, "build_s": build_s,
            "records": total, "restore": restore, "state_dir_mib": state_mib}


def markdown(results):
    r = results["run"]
    restore = r["restore"]
    return (f"One fresh single node restores a {r['gib']} GiB snapshot ({r['entries']:,} values "
            f"of {r['value_size'] // 1024} KiB, {r['records']:,} records) with snapshot-force.\n\n"
            "| measure | value |\n|---|---:|\n"
            f"| archive GiB | {restore['archive_bytes'] / GIB:.2f} |\n"
            f"| restore s | {restore['seconds']:.1f} |\n"
            f"| seconds per GiB | {restore['seconds'] / r['gib']:.2f} |\n"
            f"| server VmRSS before / peak MiB | {restore['rss_before_mib']:.0f} / "
            f"{restore['rss_peak_mib']:.0f} |\n"
            f"| server RssAnon before / peak MiB | {restore['anon_before_mib']:.0f} / "
            f"{restore['anon_peak_mib']:.0f} |\n"
            f"| state store after, MiB | {r['state_dir_mib']:.0f} |\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"))
    parser.add_argument("--workdir", help="default <build-dir>/restore-large-work (wiped)")
    parser.add_argument("--gib", type=int, default=10)
    parser.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    parser.add_argument("--command", help="the command to record as having produced the run")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    (binary,) = bench_results.require_binaries("restore_large_bench", build_dir)
    raft_bench.load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "restore-large-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), False,
                                        workdir, build_dir)
    started = time.monotonic()
    try:
        results["run"] = run(binary, workdir, args.gib)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "restore-large", results, "Large restore",
                               markdown(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
