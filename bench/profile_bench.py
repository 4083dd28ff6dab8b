#!/usr/bin/env python3
"""Profile of Tresor on its slowest workload relative to etcd.

Reads bench/results/compare.json (written by compare_bench.py earlier in
the same `make bench`), picks the row where Tresor's throughput divided by
etcd's is lowest (or --workload/--connections), starts a fresh single raft
node and, while tresor-loadgen runs that workload against it:

  * `perf record -e cpu-clock --call-graph dwarf` on the server process:
    which functions the CPU time goes to, inclusive of their callees;
  * `perf stat` of the server's syscalls that make a write durable or hand
    work between threads (fdatasync, io_submit, pwrite64, futex) and its
    context switches, per request: where the time goes when the CPU is idle.

Writes bench/results/profile.json and profile.md and regenerates
docs/performance.md; bench/profile_notes.md (by hand, no figures) says what
the profile means and render_performance.py prints it under the tables.
Needs `perf` (scripts/install-bench-deps installs linux-perf).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import compare_bench  # noqa: E402
import raft_bench  # noqa: E402

SAMPLE_HZ = 499
SYSCALLS = ("fdatasync", "fsync", "io_submit", "pwrite64", "write", "futex")
TOP_FUNCTIONS = 15


def log(message):
    print(f"[profile_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def slowest_row(compare):
    """The compare row with the lowest Tresor/etcd throughput ratio."""
    best = None
    for row in compare["rows"]:
        etcd = row["peers"].get("etcd")
        if not etcd or not etcd["throughput_rps"] or row["rate"]:
            continue
        ratio = row["tresor"]["throughput_rps"] / etcd["throughput_rps"]
        if best is None or ratio < best[0]:
            best = (ratio, row)
    if best is None:
        raise RuntimeError("compare.json has no row measured next to etcd")
    return best


def short_name(symbol):
    """A C++ symbol without template arguments, ABI tags and parameter
    lists, so that a table row fits: tresor::core::Core::Handle."""
    name = symbol.replace("[abi:cxx11]", "").replace("(anonymous namespace)::", "")
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return re.sub(r"\(.*\)$", "", "".join(out)).strip()


def perf_report(data_path, sort, children):
    """perf report's flat listing; without children, with each row's sample
    count after its percentage (-n)."""
    cmd = ["perf", "report", "-i", data_path, "--stdio", "--no-inline", "-g", "none",
           "--sort", sort, "--children" if children else "--no-children"]
    if not children:
        cmd.append("-n")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"perf report failed: {out.stderr.strip()[:500]}")
    return out.stdout


def parse_rows(report, children):
    """(percent, samples or None, name) rows of a `perf report --stdio -g
    none` listing (samples: the -n column, without children only)."""
    rows = []
    pattern = (r"^\s+([\d.]+)%\s+([\d.]+)%\s+()(?:\[[.k]\]\s+)?(.*)$" if children
               else r"^\s+([\d.]+)%\s+(\d+)\s+(?:\[[.k]\]\s+)?(.*)$")
    for line in report.splitlines():
        m = re.match(pattern, line)
        if m:
            samples = None if children else int(m.group(2))
            rows.append((float(m.group(1)), samples, m.group(m.lastindex).strip()))
    return rows


def tresor_functions(rows):
    """The top tresor:: functions by inclusive share, one row per short
    name (template instances of one function merged by taking the max)."""
    best = {}
    for percent, _, symbol in rows:
        name = short_name(symbol)
        if not name.startswith("tresor::"):
            continue
        best[name] = max(best.get(name, 0.0), percent)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    return [{"function": n, "inclusive_pct": p} for n, p in ranked[:TOP_FUNCTIONS]]


def perf_stat_counts(path):
    counts = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^\s*([\d,]+)\s+(\S+)", line)
            if m:
                event = m.group(2).replace("syscalls:sys_enter_", "")
                counts[event] = int(m.group(1).replace(",", ""))
    return counts


def profile(build_dir, workdir, workload, value_size, connections, duration):
    node, root = raft_bench.start_single(os.path.join(workdir, "tresor"))
    loadgen_binary = os.path.join(build_dir, "tresor-loadgen")
    base = "kv2-read" if workload == "kv2-read-acl50" else workload
    token = compare_bench.acl_token(node, root) if workload == "kv2-read-acl50" else root
    prefix = f"{compare_bench.ACL_PREFIX}-profile" if token != root else "profile"
    data_path = os.path.join(workdir, "perf.data")
    stat_path = os.path.join(workdir, "perf-stat.txt")
    try:
        # A short unmeasured run first: the hot set is written and the
        # caches are warm before perf attaches.
        compare_bench.loadgen(loadgen_binary, node.address, "vault", base, connections, 1.0,
                              value_size, token=token, prefix=prefix + "-warm")
        events = ",".join(f"syscalls:sys_enter_{s}" for s in SYSCALLS) + ",context-switches"
        record = subprocess.Popen(
            ["perf", "record", "-e", "cpu-clock", "-F", str(SAMPLE_HZ), "--call-graph",
             "dwarf,16384", "-p", str(node.pid), "-o", data_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stat = subprocess.Popen(["perf", "stat", "-e", events, "-p", str(node.pid),
                                 "-o", stat_path],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        result = compare_bench.loadgen(loadgen_binary, node.address, "vault", base, connections,
                                       duration, value_size, token=token, prefix=prefix)
        for proc in (record, stat):
            proc.send_signal(signal.SIGINT)
        for proc in (record, stat):
            _, err = proc.communicate(timeout=120)
            if proc.returncode not in (0, -signal.SIGINT):
                raise RuntimeError(f"perf failed ({proc.returncode}): {err.decode()[:500]}")
    finally:
        raft_bench.kill_all([node])

    log("reading the profile (perf report)")
    by_symbol = perf_report(data_path, "sym", children=True)
    by_dso = perf_report(data_path, "dso", children=False)
    dso_rows = parse_rows(by_dso, False)
    # The header's "# Samples: 3K" is rounded; the rows' counts are exact.
    samples = sum(n for _, n, _ in dso_rows)
    counts = perf_stat_counts(stat_path)
    requests = max(1, result["requests"])
    return {
        "workload": workload, "value_size": value_size, "connections": connections,
        "duration_s": duration, "loadgen": result, "samples": samples,
        "sample_hz": SAMPLE_HZ,
        # Samples over the samples two fully busy cores would give: how
        # much of the machine the server used while it was measured.
        "cpu_cores_used": samples / (SAMPLE_HZ * result["elapsed_s"]),
        "by_dso": [{"dso": d, "self_pct": p} for p, _, d in dso_rows[:8]],
        "functions": tresor_functions(parse_rows(by_symbol, True)),
        "per_request": {event: n / requests for event, n in counts.items()},
    }


def markdown_tables(results):
    p = results["profile"]
    r = p["loadgen"]
    ratio = results["ratio_to_etcd"]
    why = (f"in `make bench`'s single-node comparison, its Tresor/etcd throughput ratio "
           f"was the lowest, {ratio:.2f}x" if ratio == ratio  # NaN: chosen by hand
           else "chosen with --workload")
    lines = [f"Workload **{p['workload']}** ({p['value_size']}-byte values, "
             f"{p['connections']} connections): {why}. Profiled for {p['duration_s']:g} s on a fresh "
             f"node: {r['throughput_rps']:.1f} req/s, p50 {r['latency_ms']['p50']:.2f} ms, "
             f"p99 {r['latency_ms']['p99']:.2f} ms; the server used "
             f"{p['cpu_cores_used']:.2f} of the machine's cores "
             f"({p['samples']} cpu-clock samples at {p['sample_hz']} Hz).",
             "",
             "Per request, from `perf stat` of the server:",
             "",
             "| event | per request |", "|---|---:|"]
    for event, n in sorted(p["per_request"].items()):
        lines.append(f"| {event} | {n:.2f} |")
    lines += ["", "CPU time by library (self):", "", "| library | % of samples |", "|---|---:|"]
    for d in p["by_dso"]:
        lines.append(f"| {d['dso']} | {d['self_pct']:.1f} |")
    lines += ["", "Tresor functions by inclusive share of the samples (with their callees; "
              "nested calls overlap):", "", "| function | % of samples |", "|---|---:|"]
    for f in p["functions"]:
        lines.append(f"| `{f['function']}` | {f['inclusive_pct']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--duration", type=float, help="seconds profiled (5; quick 2)")
    parser.add_argument("--workload", help="profile this compare_bench workload instead of "
                        "the slowest one relative to etcd")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    if shutil.which("perf") is None:
        sys.exit("profile_bench: perf is missing (scripts/install-bench-deps installs it)")
    duration = args.duration or (2.0 if args.quick else 5.0)
    build_dir = os.path.abspath(args.build_dir)
    raft_bench.load_harness(os.path.join(build_dir, "tresor"))

    ratio, workload, value_size, connections = None, args.workload, 100, args.connections
    if workload is None:
        with open(os.path.join(args.results_dir, "compare.json")) as f:
            ratio, row = slowest_row(json.load(f))
        workload, value_size, connections = row["workload"], row["value_size"], row["connections"]
    log(f"profiling {workload} at {connections} connections")
    workdir = tempfile.mkdtemp(prefix="profile-", dir=build_dir)
    started = time.monotonic()
    try:
        prof = profile(build_dir, workdir, workload, value_size, connections, duration)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = bench_results.new_results(
        bench_results.command_line(args.command), args.quick, build_dir, build_dir,
        ratio_to_etcd=ratio if ratio is not None else float("nan"), profile=prof)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "profile", results, "Profile",
                               markdown_tables(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s: {args.results_dir}/profile.json, profile.md")


if __name__ == "__main__":
    main()
