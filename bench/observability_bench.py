#!/usr/bin/env python3
"""What metrics and a file audit device cost on the hottest read.

Three single-node Tresor servers (raft storage, KV v2 at secret/, the root
token), each a fresh `tresor server` from the same Release binary, started
together and kept up for the whole run:

  * off:   `telemetry { disable_metrics = true }` and no audit device: the
           counters, summaries and timers do nothing (not even read the
           clock), the baseline;
  * on:    metrics on (the default), no audit device;
  * audit: metrics on and one `file` audit device writing to the bench's
           disk (file_path under --workdir; truncated after each run so
           the run's space is given back).

kv2-read (tresor-loadgen, closed loop on keep-alive connections, 100-byte
values, a hot set of 1,000 keys written first) runs on each in rounds: one
run per configuration and connection count per round, the order of the
configurations rotated every round, so that a disturbance on this shared
machine, or a drift in its load, hits every configuration alike. Each
configuration's best run (highest throughput: another tenant can only slow
a run down) gives the table and the ratios; the median of its runs is shown
next to it, and every run is in observability.json.

After the runs, the Prometheus exposition (GET sys/metrics?format=prometheus)
of the `on` and `off` servers is scraped and a sample of its lines kept:
`on` shows what the runs recorded, `off` that its counters and summaries
stayed at zero.

Writes bench/results/observability.json and .md and regenerates
docs/performance.md. Run through `make bench` / `make bench-quick`, or
alone with `make bench-observability`. Standard library only.
"""
import argparse
import os
import shutil
import statistics
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import compare_bench  # noqa: E402
import raft_bench  # noqa: E402

# (name, label in the tables, metrics on, file audit device)
CONFIGS = (
    ("off", "metrics off (`disable_metrics = true`), no audit", False, False),
    ("on", "metrics on, no audit", True, False),
    ("audit", "metrics on + file audit device", True, True),
)
# The ratios reported: (numerator, denominator).
RATIOS = (("on", "off"), ("audit", "off"), ("audit", "on"))
# The exposition lines kept in the results: Vault's request and barrier
# summaries and the token check.
SAMPLE_PREFIXES = ("vault_core_handle_request", "vault_barrier_get", "vault_core_check_token")


def log(message):
    print(f"[observability_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Node:
    """One configuration's server."""

    def __init__(self, name, metrics_on, audit, workdir):
        self.name = name
        self.workdir = os.path.join(workdir, name)
        os.makedirs(self.workdir)
        extra = "" if metrics_on else "telemetry {\n  disable_metrics = true\n}\n"
        self.server = raft_bench.TresorServer(storage="raft", workdir=self.workdir,
                                              extra_config=extra)
        self.audit_path = os.path.join(self.workdir, "audit.log") if audit else None
        self.audit_bytes = 0

    def start(self):
        self.server.start()
        init = self.server.init(1, 1)
        self.server.unseal(init["keys"])
        raft_bench.wait_for(lambda: raft_bench.is_active(self.server),
                            timeout=raft_bench.STATE_TIMEOUT_S, what="the node to become active")
        self.root = init["root_token"]
        raft_bench.ensure_kv2_at_secret(self.server, self.root)
        if self.audit_path:
            r = self.server.api("PUT", "sys/audit/file",
                                {"type": "file", "options": {"file_path": self.audit_path}},
                                token=self.root)
            if r.status != 204:
                raise RuntimeError(f"enabling the file audit device failed: {r.status} {r.body}")
        r = self.server.api("GET", "sys/config/state/sanitized", token=self.root)
        if r.status != 200:
            raise RuntimeError(f"sys/config/state/sanitized: {r.status} {r.body}")
        shown = r.json["data"].get("telemetry", {}).get("disable_metrics")
        if shown is not (self.name == "off"):
            raise RuntimeError(f"{self.name}: the running config says disable_metrics={shown}")
        return self

    def after_run(self):
        """Gives the audit log's space back (the device appends, so a
        truncated file simply starts again) and counts what was written."""
        if self.audit_path and os.path.exists(self.audit_path):
            self.audit_bytes += os.path.getsize(self.audit_path)
            os.truncate(self.audit_path, 0)

    def scrape(self):
        r = self.server.api("GET", "sys/metrics?format=prometheus", token=self.root)
        if r.status != 200:
            raise RuntimeError(f"{self.name}: sys/metrics?format=prometheus: {r.status} {r.body}")
        return r.body


def sample(exposition):
    """The exposition's lines of SAMPLE_PREFIXES, with their # HELP/# TYPE."""
    keep = []
    for line in exposition.splitlines():
        name = line.split()[2] if line.startswith("#") and len(line.split()) > 2 else \
            line.split("{")[0].split(" ")[0]
        if any(name == p or name.startswith(p + "_") or name.startswith(p + "{")
               for p in SAMPLE_PREFIXES):
            keep.append(line)
    return keep


def summary_count(lines, name):
    """The _count of summary `name` in sampled lines, or None."""
    for line in lines:
        if line.startswith(name + "_count"):
            return float(line.split()[-1])
    return None


def round_ratios(row, a, b):
    """a's throughput over b's in each round: runs seconds apart, so the
    slow drift of this shared machine's load cancels out of each."""
    return [x["throughput_rps"] / y["throughput_rps"]
            for x, y in zip(row["configs"][a]["runs"], row["configs"][b]["runs"])]


def measure(nodes, loadgen, connections, duration, rounds):
    runs = {(n.name, c): [] for n in nodes for c in connections}
    for round_number in range(rounds):
        order = nodes[round_number % len(nodes):] + nodes[:round_number % len(nodes)]
        for c in connections:
            for node in order:
                result = compare_bench.loadgen(loadgen, node.server.address, "vault", "kv2-read",
                                               c, duration, 100, token=node.root,
                                               prefix=f"obs-{c}")
                node.after_run()
                runs[(node.name, c)].append(result)
                lat = result["latency_ms"]
                log(f"round {round_number + 1}/{rounds} {c:>3} conn {node.name:<6} "
                    f"{result['throughput_rps']:9.1f} req/s  p50 {lat['p50']:6.2f} ms  "
                    f"p99 {lat['p99']:6.2f} ms  errors {result['errors']}")
    rows = []
    for c in connections:
        row = {"connections": c, "configs": {}}
        for node in nodes:
            all_runs = runs[(node.name, c)]
            best = compare_bench.best_run(all_runs, None)
            row["configs"][node.name] = {
                "best": best,
                "median_rps": statistics.median(r["throughput_rps"] for r in all_runs),
                "runs": all_runs,
            }
        row["ratios"] = {
            f"{a}/{b}": {
                "best": row["configs"][a]["best"]["throughput_rps"] /
                row["configs"][b]["best"]["throughput_rps"],
                "median": row["configs"][a]["median_rps"] / row["configs"][b]["median_rps"],
            } for a, b in RATIOS}
        rows.append(row)
    return rows


def markdown(results):
    labels = {name: label for name, label, _, _ in CONFIGS}
    lines = [
        f"kv2-read (100-byte values, hot set of 1,000 keys, root token) on three single-node "
        f"raft servers started from the same binary, {results['duration_s']:g} s per run, "
        f"{results['rounds']} rounds; each round runs every configuration once per connection "
        "count, in an order rotated every round. *Best*: the configuration's run with the "
        "highest throughput (another tenant of this shared machine can only slow a run down); "
        "*median*: of all its runs. The file audit device writes one request and one response "
        "line per request to a file on the bench's disk (no fsync: the device appends with "
        "write(2)).", "",
        "| conns | configuration | best req/s | p50 ms | p99 ms | median req/s | errors |",
        "|---:|---|---:|---:|---:|---:|---:|"]
    for row in results["rows"]:
        for name, _, _, _ in CONFIGS:
            cfg = row["configs"][name]
            best = cfg["best"]
            errors = sum(r["errors"] for r in cfg["runs"])
            lines.append(f"| {row['connections']} | {labels[name]} | "
                         f"{best['throughput_rps']:.1f} | {best['latency_ms']['p50']:.2f} | "
                         f"{best['latency_ms']['p99']:.2f} | {cfg['median_rps']:.1f} | {errors} |")
    lines += ["", "Throughput ratios (below 1: the first is slower; loss = 1 − ratio): of the "
              "best runs, of the medians, and of each round's two runs (their median, and the "
              "lowest and highest: how far this machine's noise moves one measurement):", "",
              "| conns | ratio | what it measures | best | median | per round: median | "
              "per round: range |", "|---:|---|---|---:|---:|---:|---:|"]
    meaning = {"on/off": "the cost of metrics", "audit/off": "metrics plus a file audit device",
               "audit/on": "the file audit device alone"}
    for row in results["rows"]:
        for key, r in row["ratios"].items():
            per_round = round_ratios(row, *key.split("/"))
            lines.append(f"| {row['connections']} | {key} | {meaning[key]} | {r['best']:.3f} | "
                         f"{r['median']:.3f} | {statistics.median(per_round):.3f} | "
                         f"{min(per_round):.2f}–{max(per_round):.2f} |")
    if results.get("audit_bytes_per_request"):
        lines += ["", f"The audit device wrote {results['audit_bytes_per_request']:.0f} bytes "
                  "of log per measured read (its request and response lines; the lines of the "
                  "hot-set writes before each run are counted in the bytes too)."]
    lines += ["", "Scraped after the runs, `GET /v1/sys/metrics?format=prometheus` "
              "(the `vault_core_handle_request`, `vault_barrier_get` and "
              "`vault_core_check_token` lines). Metrics on:", "", "```"]
    lines += results["prometheus_sample"]["on"]
    lines += ["```", "", "Metrics off (`disable_metrics = true`): the same series, at zero:",
              "", "```"]
    lines += results["prometheus_sample"]["off"]
    lines += ["```", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--workdir", help="default <build-dir>/observability-work (wiped)")
    parser.add_argument("--duration", type=float, help="seconds per run (5; quick 1.5)")
    parser.add_argument("--rounds", type=int, help="rounds (6; quick 3)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    duration = args.duration or (1.5 if args.quick else 5.0)
    rounds = args.rounds or (3 if args.quick else 6)
    connections = (16,) if args.quick else (16, 64)
    build_dir = os.path.abspath(args.build_dir)
    binary, loadgen = bench_results.require_binaries("observability_bench", build_dir,
                                                     ("tresor", "tresor-loadgen"))
    raft_bench.load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "observability-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, duration_s=duration, rounds=rounds,
                                        connections=list(connections))
    started = time.monotonic()
    nodes = [Node(name, on, audit, workdir) for name, _, on, audit in CONFIGS]
    try:
        for node in nodes:
            log(f"starting {node.name}")
            node.start()
        results["rows"] = measure(nodes, loadgen, connections, duration, rounds)
        samples = {node.name: sample(node.scrape()) for node in nodes if node.name != "audit"}
    finally:
        raft_bench.kill_all([node.server for node in nodes])
    on_count = summary_count(samples["on"], "vault_core_handle_request")
    off_count = summary_count(samples["off"], "vault_core_handle_request")
    if not on_count or off_count != 0:
        raise RuntimeError(f"vault_core_handle_request_count: on {on_count}, off {off_count}: "
                           "expected some with metrics on and 0 with them off")
    results["prometheus_sample"] = samples
    audit = next(n for n in nodes if n.name == "audit")
    requests = sum(r["requests"] for row in results["rows"]
                   for r in row["configs"]["audit"]["runs"])
    if requests:
        results["audit_bytes_per_request"] = audit.audit_bytes / requests
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "observability", results,
                               "The cost of metrics and a file audit device", markdown(results),
                               args.doc)
    shutil.rmtree(workdir, ignore_errors=True)
    for row in results["rows"]:
        log(f"{row['connections']} conns: " + ", ".join(
            f"{k} {v['best']:.3f} (median {v['median']:.3f})" for k, v in row["ratios"].items()))
    log(f"done in {results['wall_time_s']:.0f} s: {args.results_dir}/observability.json, "
        "observability.md")


if __name__ == "__main__":
    main()
