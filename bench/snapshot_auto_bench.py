#!/usr/bin/env python3
"""Automated snapshot benchmark (one scenario of `make bench`; `make
bench-snapshot-auto` runs it alone): a one-node cluster holding N x 1 KiB
KV v2 values, an automated snapshot schedule to s3rver (npm, on loopback,
installed by scripts/install-s3rver) and one to a local directory. For each
target: the time of one scheduled snapshot from its start to its end as
the status reports them (view, archive, read-back check with every value
decrypted, then the rename or the multipart upload, then retention), and
the archive's MB per second of that. Medians over a few snapshots.

Then point-in-time recovery: a schedule with pitr_enabled snapshots the
same state, W more KV v2 writes are archived, and a new server is restored
to a point after the last of them (the snapshot staged, the W writes
replayed onto it, one commit); the same snapshot is also restored alone
on another new server. The replay rate is W over the difference.

Writes bench/results/snapshot-auto.json and .md and regenerates
docs/performance.md.
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402

CONFIG = "sys/storage/raft/snapshot-auto/config"
STATUS = "sys/storage/raft/snapshot-auto/status"


def log(message):
    print(f"[snapshot_auto_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seconds_between(start, end):
    parse = lambda t: datetime.datetime.fromisoformat(t[:26].rstrip("Z") + "+00:00")  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def measure(harness, node, root, name, body, snapshots, size_of):
    """Durations of `snapshots` scheduled snapshots of config `name`."""
    assert node.api("POST", f"{CONFIG}/{name}", body, token=root).status == 204
    durations, seen = [], set()
    deadline = time.monotonic() + 900
    while len(durations) < snapshots and time.monotonic() < deadline:
        s = node.api("GET", f"{STATUS}/{name}", token=root).json["data"]
        if s["last_snapshot_error"]:
            raise RuntimeError(f"{name}: {s['last_snapshot_error']}")
        if s["last_snapshot_end"] and s["last_snapshot_url"] not in seen:
            seen.add(s["last_snapshot_url"])
            durations.append(seconds_between(s["last_snapshot_start"], s["last_snapshot_end"]))
            size = size_of(s["last_snapshot_url"])
        time.sleep(0.05)
    assert node.api("DELETE", f"{CONFIG}/{name}", token=root).status == 204
    median = statistics.median(durations)
    result = {"target": name, "snapshots": len(durations), "durations_s": durations,
              "median_s": median, "archive_bytes": size, "mb_per_s": size / 1e6 / median}
    log(f"{name}: {size / 1e6:.1f} MB archive, median {median:.2f} s, "
        f"{result['mb_per_s']:.1f} MB/s")
    return result


def measure_pitr(harness, dr_bench, loadgen_binary, node, root, keys, workdir, writes):
    """Restores a new server to a point W archived writes after a snapshot."""
    directory = os.path.join(workdir, "pitr")
    body = {"interval": 3600, "retain": 1, "storage_type": "local", "path_prefix": directory,
            "file_prefix": "pitr", "pitr_enabled": True, "pitr_segment_interval": 1}
    assert node.api("POST", f"{CONFIG}/pitr", body, token=root).status == 204
    status = lambda: node.api("GET", f"{STATUS}/pitr", token=root).json["data"]  # noqa: E731
    harness.wait_for(lambda: status()["last_snapshot_end"] != "", timeout=900,
                     what="the pitr snapshot")
    dr_bench.loadgen(loadgen_binary, node, root,
                     ["--workload", "kv2-write", "--value-size", "1024", "--requests",
                      str(writes), "--connections", "16", "--key-prefix", "pitr"],
                     timeout=1800)
    point = datetime.datetime.now(datetime.timezone.utc).isoformat()
    harness.wait_for(lambda: status()["pitr_archived_until"] > point, timeout=600,
                     interval=0.2, what="the archive to cover the writes")
    snapshot = status()["last_snapshot_url"]
    timings = {}
    for kind in ("snapshot alone", "snapshot and archived writes"):
        os.makedirs(os.path.join(workdir, "fresh"))
        fresh = harness.TresorServer(storage="raft", workdir=os.path.join(workdir, "fresh"))
        fresh.start()
        try:
            begin = time.monotonic()
            if kind == "snapshot alone":
                with open(snapshot, "rb") as f:
                    r = fresh.api("POST", "sys/storage/raft/snapshot-force", raw=f.read())
                assert r.status == 204, r
            else:
                r = fresh.api("POST", "sys/storage/raft/snapshot-pitr/restore",
                              {"storage_type": "local", "path_prefix": directory,
                               "file_prefix": "pitr", "to": point, "force": True})
                assert r.status == 200, r
                replayed = r.json["data"]["replayed_writes"]
                phases = r.json["data"]
            timings[kind] = time.monotonic() - begin
            fresh.unseal(keys)  # the restored state opens with the old keys
        finally:
            fresh.stop()
            shutil.rmtree(os.path.join(workdir, "fresh"), ignore_errors=True)
    assert node.api("DELETE", f"{CONFIG}/pitr", token=root).status == 204
    result = {"writes": writes, "replayed_entries": replayed,
              "restore_snapshot_s": timings["snapshot alone"],
              "restore_pitr_s": timings["snapshot and archived writes"],
              "pitr_snapshot_s": phases["snapshot_seconds"],
              "pitr_replay_s": phases["replay_seconds"],
              "pitr_commit_s": phases["commit_seconds"],
              "replay_entries_per_s": replayed / phases["replay_seconds"]}
    log(f"pitr: snapshot alone {result['restore_snapshot_s']:.2f} s; point in time "
        f"{result['restore_pitr_s']:.2f} s (snapshot {result['pitr_snapshot_s']:.2f} s, "
        f"{replayed} entries replayed in {result['pitr_replay_s']:.2f} s, commit "
        f"{result['pitr_commit_s']:.2f} s): {result['replay_entries_per_s']:.0f} entries/s")
    return result


def markdown(results):
    lines = [f"One raft node holding {results['values']} x 1 KiB KV v2 values; a schedule "
             "to each target with an interval long enough for one snapshot at a time; the "
             "time of each snapshot from its start to its end as the status reports them "
             "(point-in-time view, archive, read-back check with the sealed sums and every "
             "value decrypted, then the rename or the multipart upload to s3rver on "
             "loopback, then retention). Medians.", "",
             "| target | archive MB | snapshot, median s | MB/s |", "|---|---:|---:|---:|"]
    for r in results["targets"]:
        lines.append(f"| {r['target']} | {r['archive_bytes'] / 1e6:.1f} | {r['median_s']:.2f} | "
                     f"{r['mb_per_s']:.1f} |")
    p = results.get("pitr")
    if p:
        rate = p["replay_entries_per_s"]
        lines += ["", "Point-in-time recovery onto a new server: the schedule's snapshot of the "
                  f"same state, then {p['writes']} KV v2 writes archived ({p['replayed_entries']} "
                  "log entries, metadata writes included); restored to a point after the last "
                  "(snapshot staged, entries replayed, one commit; the phases as the server "
                  "times them), beside the same snapshot restored alone (its upload over "
                  "HTTP included; the point-in-time restore reads it from the target).", "",
                  "| restore | seconds |", "|---|---:|",
                  f"| snapshot alone (snapshot-force) | {p['restore_snapshot_s']:.2f} |",
                  f"| point in time (snapshot-pitr), whole request | {p['restore_pitr_s']:.2f} |",
                  f"| ... snapshot staged | {p['pitr_snapshot_s']:.2f} |",
                  f"| ... {p['replayed_entries']} archived entries replayed | "
                  f"{p['pitr_replay_s']:.2f} |",
                  f"| ... commit | {p['pitr_commit_s']:.2f} |",
                  f"| replay rate | {rate:.0f} entries/s |"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--values", type=int, default=100000)
    parser.add_argument("--snapshots", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    binary, loadgen_binary = bench_results.require_binaries(
        "snapshot_auto_bench", build_dir, ("tresor", "tresor-loadgen"))
    raft_bench.load_harness(binary)
    import dr_bench
    import harness
    from s3rver_support import S3rver
    if args.quick:
        args.values, args.snapshots = 10000, 2
    workdir = os.path.join(build_dir, "snapshot-auto-work")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, values=args.values)
    started = time.monotonic()
    pitr_writes = 5000 if args.quick else 20000
    s3 = S3rver()
    node = harness.TresorServer(storage="raft", workdir=workdir)
    node.start()
    try:
        init = node.init(1, 1)
        root = init["root_token"]
        node.unseal(init["keys"])
        harness.wait_for(lambda: node.api("GET", "sys/health").status == 200, timeout=60)
        assert node.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                        token=root).status == 204
        dr_bench.loadgen(loadgen_binary, node, root,
                         ["--workload", "kv2-write", "--value-size", "1024", "--requests",
                          str(args.values), "--connections", "16", "--key-prefix", "bench"],
                         timeout=1800)
        local_dir = os.path.join(workdir, "local-snapshots")
        interval = 30 if not args.quick else 10
        results["targets"] = [
            measure(harness, node, root, "local",
                    {"interval": interval, "retain": 1, "storage_type": "local",
                     "path_prefix": local_dir}, args.snapshots,
                    lambda url: os.path.getsize(url)),
            measure(harness, node, root, "s3",
                    s3.config(interval=interval, retain=1, path_prefix="bench"), args.snapshots,
                    lambda url: os.path.getsize(os.path.join(
                        s3.directory, s3.bucket, url.split("/", 3)[3] + "._S3rver_object"))),
        ]
        results["pitr"] = measure_pitr(harness, dr_bench, loadgen_binary, node, root,
                                       init["keys"], workdir, pitr_writes)
    finally:
        node.stop()
        s3.close()
        shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "snapshot-auto", results,
                               "Automated snapshots", markdown(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
