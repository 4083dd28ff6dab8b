#!/usr/bin/env python3
"""Unseal benchmark: how long a restarted node takes to serve again with
Shamir key shares and with each auto-unseal seal, side by side in one run
(one scenario of the `make bench` suite; `make bench-unseal` runs it alone).

For each seal a single raft node is initialised, then restarted N times.
Each restart is timed from the exec of `tresor server` to `sys/seal-status`
saying unsealed:
  * shamir: the bench sends the threshold of unseal shares the moment the
    API answers, as an operator's script would (no human in the loop);
  * transit: another Tresor's transit engine on loopback (the unsealer);
  * awskms: the SigV4-checking KMS stand-in of the tests on loopback
    (tests/integration/fake_kms.py; no AWS is reachable here);
  * pkcs11: SoftHSM2 with a token made for the run.
Also recorded: the unseal step alone (from the API's first answer to
unsealed). Medians and maxima of N restarts; ratios against Shamir.

Writes bench/results/unseal.json and .md and regenerates docs/performance.md.
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
import raft_bench  # noqa: E402

SEALS = ("shamir", "transit", "awskms", "pkcs11")
ACCESS, SECRET = "AKIDBENCH", "bench-secret-key"


def log(message):
    print(f"[unseal_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def poll(node, interval=0.002, timeout=60):
    """The first answer of sys/seal-status once the API listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = node.api("GET", "sys/seal-status", timeout=2)
            if r.status == 200:
                return r.json
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError("the node never answered sys/seal-status")


def timed_restart(node, keys):
    """(exec to unsealed s, first answer to unsealed s) for one restart."""
    assert node.stop() == 0
    started = time.monotonic()
    node.start(wait=False)
    status = poll(node)
    answered = time.monotonic()
    for key in keys:  # Shamir only: the auto seals unseal themselves
        status = node.api("PUT", "sys/unseal", {"key": key}).json
    while status["sealed"]:
        time.sleep(0.002)
        status = node.api("GET", "sys/seal-status").json
    done = time.monotonic()
    return done - started, done - answered


def measure(seal, workdir, restarts, context):
    import harness
    extra, env = "", {}
    if seal == "transit":
        extra = context["unsealer"].seal_block()
    elif seal == "awskms":
        extra = (f'seal "awskms" {{\n  region = "us-east-1"\n  kms_key_id = "alias/tresor"\n'
                 f'  endpoint = "{context["kms"].endpoint}"\n  access_key = "{ACCESS}"\n'
                 f'  secret_key = "{SECRET}"\n}}\n')
    elif seal == "pkcs11":
        extra, env = context["hsm"].block(), context["hsm"].env
    os.makedirs(os.path.join(workdir, seal))
    node = harness.TresorServer(storage="raft", workdir=os.path.join(workdir, seal),
                                extra_config=extra, env=env)
    node.start()
    try:
        if seal == "shamir":
            keys = node.init(3, 2)["keys"][:2]
            node.unseal(keys)
        else:
            r = node.api("PUT", "sys/init", {"recovery_shares": 1, "recovery_threshold": 1})
            if r.status != 200:
                raise RuntimeError(f"init with seal {seal}: {r}")
            keys = []
        runs = [timed_restart(node, keys) for _ in range(restarts)]
    finally:
        node.stop()
    total = [r[0] for r in runs]
    step = [r[1] for r in runs]
    result = {"seal": seal, "runs_s": total, "unseal_step_s": step,
              "median_s": statistics.median(total), "max_s": max(total),
              "step_median_s": statistics.median(step), "step_max_s": max(step)}
    log(f"{seal}: exec to unsealed median {result['median_s'] * 1000:.1f} ms, "
        f"max {result['max_s'] * 1000:.1f} ms")
    return result


def markdown(results):
    rows = {r["seal"]: r for r in results["seals"]}
    base = rows["shamir"]["median_s"]
    lines = [f"Each seal: one raft node, initialised, then restarted {results['restarts']} "
             "times; medians and maxima of the restarts. *Exec to unsealed*: from starting "
             "`tresor server` to `sys/seal-status` saying unsealed; for Shamir the bench sends "
             "the threshold of shares (2 of 3) the moment the API answers. *Unseal step*: from "
             "the API's first answer to unsealed (0 when the node had unsealed itself before its "
             "API first answered: the auto-unseal thread starts before the listeners). "
             "Providers on loopback: another Tresor's "
             "transit engine; a KMS stand-in that checks SigV4 (no AWS is reachable here); "
             "SoftHSM2.", "",
             "| seal | exec to unsealed, median ms | max ms | unseal step, median ms | max ms "
             "| median / Shamir's |", "|---|---:|---:|---:|---:|---:|"]
    for seal in SEALS:
        r = rows[seal]
        lines.append(f"| {seal} | {r['median_s'] * 1000:.1f} | {r['max_s'] * 1000:.1f} | "
                     f"{r['step_median_s'] * 1000:.1f} | {r['step_max_s'] * 1000:.1f} | "
                     f"{r['median_s'] / base:.2f}x |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_results.add_standard_arguments(parser, REPO)
    parser.add_argument("--workdir", help="default <build-dir>/unseal-work (wiped)")
    parser.add_argument("--restarts", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    (binary,) = bench_results.require_binaries("unseal_bench", build_dir)
    raft_bench.load_harness(binary)
    from fake_kms import FakeKms
    from seal_support import Unsealer
    from test_seal_pkcs11 import SoftHsm
    restarts = 3 if args.quick else args.restarts
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "unseal-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, restarts=restarts)
    started = time.monotonic()
    context = {"unsealer": Unsealer(), "kms": FakeKms(ACCESS, SECRET).start(), "hsm": SoftHsm()}
    try:
        results["seals"] = [measure(seal, workdir, restarts, context) for seal in SEALS]
    finally:
        context["unsealer"].close()
        context["kms"].stop()
        context["hsm"].close()
        shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "unseal", results, "Unseal time by seal",
                               markdown(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s")


if __name__ == "__main__":
    main()
