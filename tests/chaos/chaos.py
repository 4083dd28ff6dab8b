#!/usr/bin/env python3
"""The chaos scenario runner behind `make chaos`.

For each scenario on clusters of 3 and 5 real Tresor processes, run N trials.
A trial: client threads issue KV v2 reads, writes and check-and-set writes
on fresh keys through different nodes, every call recorded in a history file
(history.Recorder); after a warm-up the fault is injected into the active
node, held for 40% of the trial (--seconds; 20% warm-up before, the rest
after the heal), and healed, while the clients go on. Measured per trial:

  first write after fault   time from the injection to the completion of the
                            first write or cas that was sent after the
                            injection and acknowledged (200 with a version),
                            through any node. The table says how many trials
                            saw it only after the heal (the cluster did not
                            route around the fault while it lasted).
  recovery after heal       time from the start of the heal (for a crash: the
                            restart, so process start and unseal count) until
                            every node answers sys/health as an unsealed member
                            and a write sent through each node has been
                            acknowledged.

Then the trial's history is checked for linearizability
(linearizability.check), and at the end of each scenario every acknowledged
write of every trial is checked against the final state (see LOST WRITES).

LOST WRITES. An acknowledged write is (key, version N, value v): the version
the server answered for a write or cas that returned 200. It is kept when,
after the last trial and the last heal, `GET kv/data/<key>?version=N` through
the active node answers exactly v (the mount keeps 1,000,000 versions, so no
acknowledged version can be pruned; a version that the metadata reports older
than oldest_version would count as superseded, not lost). Anything else — a
missing version, a version holding another value (two acknowledged writes
given the same version), an error — counts as lost. Writes whose outcome was
unknown (timeout, 5xx) are not acknowledged and not counted; the
linearizability check covers them.

    python3 tests/chaos/chaos.py --trials 10 --seconds 15 --seed 1 \\
        --scenarios crash,asymmetric-partition --nodes 3,5 --out bench/results

Prints the table and writes <out>/chaos.json and <out>/chaos.md. Histories go
to a temporary directory (printed); a non-linearizable trial prints its
minimal sub-history. Exit status: 0 when every scenario run had 0 lost writes
and a linearizable verdict, 1 otherwise.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cluster as chaos_cluster  # noqa: E402
import faults  # noqa: E402
import harness  # noqa: E402  (put on sys.path by cluster)
import linearizability  # noqa: E402
from history import Recorder, load_history  # noqa: E402
from kv_client import KVClient  # noqa: E402

KV = chaos_cluster.KV_MOUNT


# --- scenarios -----------------------------------------------------------------


class Scenario:
    """name, how the cluster is made, and the fault for a trial."""

    def __init__(self, name, make_fault, title, disk_mb=None, faketime=False,
                 fsync_fault=False, available=None, short_unavailable=None, min_seconds=0):
        self.name = name
        self.title = title
        self.make_fault = make_fault  # (cluster, target, args) -> faults.Fault
        self.disk_mb = disk_mb
        self.faketime = faketime
        self.fsync_fault = fsync_fault
        self.min_seconds = min_seconds  # a trial lasts at least this long (--seconds otherwise)
        self.available = available or (lambda: None)  # -> None, or why it cannot run
        self.short_unavailable = short_unavailable  # for the table; None: the full reason


SCENARIOS = {s.name: s for s in [
    Scenario("crash", lambda c, t, a: faults.Kill(t, restart=c.restart),
             "kill -9 of the active node; heal restarts and unseals it"),
    Scenario("asymmetric-partition", lambda c, t, a: faults.InboundDrop(t),
             "inbound packets to the active node's cluster port dropped; its outbound flows"),
    Scenario("symmetric-partition", lambda c, t, a: faults.Isolate(t, c.nodes),
             "the active node cut from every other node, both directions"),
    Scenario("latency", lambda c, t, a: faults.Netem(
        [n.cluster_port for n in c.nodes], delay_ms=a.latency_ms, jitter_ms=a.jitter_ms,
        loss_pct=a.loss_pct),
        "tc netem delay/jitter/loss on every node's cluster traffic"),
    Scenario("disk-full", lambda c, t, a: faults.DiskFull(t),
             "the active node's data directory (a 256 MB tmpfs) filled to ENOSPC; heal frees it",
             # 64 MB filled up on every node with the raft log (three 8 MB
             # preallocated open segments and the closed ones) within 4-6
             # trials of 15 s: the fault must stay on the one target node.
             disk_mb=256),
    Scenario("fsync-failure", lambda c, t, a: faults.FsyncFailure(t, restart=c.restart,
                                                                   aio=a.fsync_aio),
             "fsync, fdatasync and libraft's kernel-AIO log writes fail with EIO under the "
             "active node's data directory (LD_PRELOAD shim, fsync_fault.c); heal lets them "
             "succeed again and restarts and unseals the node if it exited",
             fsync_fault=True,
             # The fault is held 40% of a trial: 12 s, longer than the stuck-log
             # watchdog takes to stop a leader (2 x 10 election timeouts, 10 s),
             # so that the heal finds the node stopped and restarts it.
             min_seconds=30),
    # Not in the default set (the table does not list them):
    Scenario("pause", lambda c, t, a: faults.Pause(t),
             "SIGSTOP of the active node; heal is SIGCONT"),
    Scenario("clock-jump", lambda c, t, a: faults.ClockJump(t, a.clock_jump),
             "the active node's wall clock jumps (libfaketime); heal jumps it back",
             faketime=True),
]}
DEFAULT_SCENARIOS = ["crash", "asymmetric-partition", "symmetric-partition", "latency",
                     "disk-full", "fsync-failure"]


# --- workload ------------------------------------------------------------------


class Workload:
    """Client threads issuing reads, writes and cas writes through their node,
    recorded in `recorder`. acked: every acknowledged (key, version, value)."""

    def __init__(self, cluster, recorder, keys, clients, seed, timeout):
        self.cluster = cluster
        self.recorder = recorder
        self.keys = keys
        self.clients = clients
        self.seed = seed
        self.timeout = timeout
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = []  # (key, version, value, invoke, complete)
        self.counts = {"ok": 0, "fail": 0, "unknown": 0}
        self.threads = []
        self.errors = []

    def start(self):
        for i in range(self.clients):
            node = self.cluster.nodes[i % len(self.cluster.nodes)]
            t = threading.Thread(target=self._client, args=(f"c{i + 1}", node, i),
                                 daemon=True)
            self.threads.append(t)
            t.start()

    def _client(self, name, node, index):
        try:
            self._loop(name, node, random.Random(self.seed * 1000 + index))
        except Exception:
            self.errors.append(traceback.format_exc())

    def _loop(self, name, node, rng):
        kv = KVClient(node.address, self.cluster.root, mount=KV, timeout=self.timeout)
        seen = {}  # key -> last version this client saw
        seq = 0
        while not self.stop.is_set():
            key = rng.choice(self.keys)
            roll = rng.random()
            seq += 1
            value = f"{name}-{seq}"
            if roll < 0.3:
                op, cas = "read", None
            elif roll < 0.7:
                op, cas = "write", None
            else:
                op, cas = "cas", seen.get(key, 0)
            with self.recorder.op(name, node.name, op, key,
                                  value=None if op == "read" else value, cas=cas) as rec:
                if op == "read":
                    result = kv.read(key)
                elif op == "write":
                    result = kv.write(key, value)
                else:
                    result = kv.cas_write(key, value, cas)
                if result.outcome == "ok":
                    rec.ok(result.result)
                elif result.outcome == "fail":
                    rec.fail(result.result)
            with self.lock:
                self.counts[result.outcome] += 1
            if result.outcome == "ok":
                if result.result is not None:
                    seen[key] = result.result["version"]
                if op != "read":
                    with self.lock:
                        self.acked.append((key, result.result["version"], value,
                                           rec.record["invoke"], rec.record["complete"]))
            elif result.outcome == "unknown":
                # The node is down or cut off: do not pile up open operations
                # (each unknown write stays open forever for the checker).
                self.stop.wait(0.2 + rng.random() * 0.3)

    def first_ack_after(self, t):
        with self.lock:
            times = [complete for _, _, _, invoke, complete in self.acked if invoke >= t]
        return min(times) - t if times else None

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=self.timeout + 10)


def wait_recovered(cluster, trial, started, timeout):
    """Seconds from `started` until every node answers and a write through
    each has been acknowledged; None after `timeout`."""
    pending = list(cluster.nodes)
    deadline = started + timeout
    while pending and time.monotonic() < deadline:
        for node in list(pending):
            if not cluster.api_ok(node, timeout=1):
                continue
            kv = KVClient(node.address, cluster.root, mount=KV, timeout=2)
            if kv.write(f"probe/t{trial}/{node.name}", f"{time.time()}").outcome == "ok":
                pending.remove(node)
        if pending:
            time.sleep(0.05)
    return None if pending else time.monotonic() - started


def repair(cluster, log):
    """Restarts every node that does not answer (after a recovery timed out),
    so the next trial starts from a whole cluster. Returns the names restarted."""
    restarted = []
    for node in cluster.nodes:
        if cluster.api_ok(node, timeout=2):
            continue
        log(f"    {node.name} does not answer: restarting it")
        if node.proc is not None:
            try:
                node.stop(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
        cluster.restart(node)
        restarted.append(node.name)
    return restarted


def save_logs(cluster, history_dir, prefix):
    """Copies every node's server log, a listing of its data directory and
    the fsync shim's list of failed calls next to the histories (the node
    directories go when the cluster closes)."""
    import shutil
    out = os.path.join(history_dir, prefix + "-logs")
    os.makedirs(out, exist_ok=True)
    for node in cluster.nodes:
        try:
            shutil.copy(node.log_path, os.path.join(out, f"{node.name}.log"))
            with open(os.path.join(out, f"{node.name}.files"), "w") as f:
                for root, _, files in os.walk(node.data_dir):
                    for name in files:
                        path = os.path.join(root, name)
                        f.write(f"{os.path.getsize(path):>12} {path}\n")
                if node.disk is not None:
                    f.write(f"free on tmpfs: {node.disk.free_bytes()}\n")
            count = (node.fsync_flag or "") + ".count"  # the calls the fsync shim failed
            if node.fsync_flag and os.path.exists(count):
                shutil.copy(count, os.path.join(out, f"{node.name}.fsync-failures"))
        except OSError as e:
            print(f"cannot keep the log of {node.name}: {e}", file=sys.stderr)
    return out


def check_lost(cluster, acked):
    """The acknowledged writes not readable at their version with their value,
    as a list of (key, version, value, what was found)."""
    reader = cluster.wait_active(timeout=60)
    lost = []
    oldest = {}
    for key, version, value, _, _ in acked:
        if key not in oldest:
            r = reader.api("GET", f"{KV}/metadata/{key}", token=cluster.root, timeout=10)
            oldest[key] = r.json["data"].get("oldest_version", 0) if r.status == 200 else 0
        if oldest[key] and version < oldest[key]:
            continue  # superseded: pruned by max_versions
        r = reader.api("GET", f"{KV}/data/{key}?version={version}", token=cluster.root,
                       timeout=10)
        found = None
        if r.status == 200:
            found = (r.json["data"]["data"] or {}).get("value")
            if (found == value
                    and int(r.json["data"]["metadata"]["version"]) == version):
                continue
        lost.append((key, version, value, f"{r.status} {found!r}"))
    return lost


# --- runner --------------------------------------------------------------------


def _stats(values):
    present = [v for v in values if v is not None]
    if not present:
        return None, None
    return statistics.median(present), max(present)


def run_scenario(scenario, size, args, history_dir, log):
    row = {"scenario": scenario.name, "nodes": size, "title": scenario.title,
           "trials": 0, "acknowledged": 0, "lost": 0, "lost_examples": [],
           "linearizable": None, "histories": [], "failing_histories": [],
           "first_write_after_fault": [], "recovery_after_heal": [], "fault_held": [],
           "not_recovered": 0, "restarts": [], "heal_restarts": [], "ops": {}, "exit_codes": {},
           "note": None}
    why = scenario.available()
    if why:
        row["note"] = why
        row["short_note"] = "not run: " + (scenario.short_unavailable or why)
        log(f"{scenario.name} on {size} nodes: {why}")
        return row
    log(f"{scenario.name} on {size} nodes: forming the cluster")
    c = chaos_cluster.Cluster(size, disk_mb=scenario.disk_mb, faketime=scenario.faketime,
                              fsync_fault=scenario.fsync_fault)
    acked_all = []
    verdicts = []
    try:
        c.start()
        for trial in range(args.trials):
            seed = args.seed * 100003 + size * 1009 + trial
            rng = random.Random(seed)
            keys = [f"{scenario.name}/t{trial}/k{j}" for j in range(args.keys)]
            path = os.path.join(history_dir, f"{scenario.name}-{size}n-t{trial}.jsonl")
            recorder = Recorder(path)
            work = Workload(c, recorder, keys, args.clients, seed, args.client_timeout)
            seconds = max(args.seconds, scenario.min_seconds)
            warm, hold = seconds * 0.2, seconds * 0.4
            target = c.wait_active(timeout=60)
            work.start()
            time.sleep(warm)  # load before the fault: a duration, not a condition
            fault = scenario.make_fault(c, target, args)
            fault.inject()
            # From the moment the fault is in place (the rule added, the
            # process dead): a write sent earlier may still go through.
            fault_at = time.monotonic()
            time.sleep(hold)  # the fault's duration
            heal_at = time.monotonic()
            fault.heal()
            if getattr(fault, "restarted", False):  # the target exited under the fault
                row["heal_restarts"].append({"trial": trial, "node": target.name,
                                             "exit_code": fault.exit_code})
            if hasattr(fault, "failures"):  # calls the fsync shim failed in this trial
                row.setdefault("injected_failures", []).append(fault.failures)
            recovery = wait_recovered(c, trial, heal_at, args.recovery_timeout)
            rest = seconds - (time.monotonic() - fault_at) - warm
            if rest > 0:
                time.sleep(rest)
            work.join()
            recorder.close()
            restarted = []
            if recovery is None:
                row["not_recovered"] += 1
                restarted = repair(c, log)
                row["restarts"].append({"trial": trial, "nodes": restarted})
            first = work.first_ack_after(fault_at)
            heal_note = ""
            if getattr(fault, "restarted", False):
                heal_note += f", exited under the fault ({fault.exit_code}), restarted by the heal"
            if hasattr(fault, "failures"):
                heal_note += f", {fault.failures} calls failed by the fsync shim"
            verdict = linearizability.check(load_history(path), seconds=args.check_seconds)
            verdicts.append(verdict.ok)
            row["histories"].append(path)
            if verdict.ok is False:
                row["failing_histories"].append(path)
                log(f"  trial {trial}: NOT LINEARIZABLE ({path})\n{verdict.explanation}")
            elif verdict.ok is None:
                log(f"  trial {trial}: linearizability undecided ({verdict.explanation})")
            acked_all += [(k, v, val, i, cpl) for k, v, val, i, cpl in work.acked]
            row["trials"] += 1
            row["first_write_after_fault"].append(first)
            row["recovery_after_heal"].append(recovery)
            row["fault_held"].append(heal_at - fault_at)
            for k, n in work.counts.items():
                row["ops"][k] = row["ops"].get(k, 0) + n
            if work.errors:
                log("  client errors:\n" + "\n".join(work.errors[:2]))
            log(f"  trial {trial}: target {target.name}, acked {len(work.acked)}, "
                f"ops {work.counts}, first write after fault "
                f"{'-' if first is None else f'{first:.2f} s'}, recovery "
                f"{'not within %g s' % args.recovery_timeout if recovery is None else f'{recovery:.2f} s'}"
                f"{', restarted ' + ','.join(restarted) if restarted else ''}"
                f"{heal_note}, "
                f"linearizable {verdict.ok} ({verdict.ops} ops, {verdict.seconds:.1f} s)")
        if row["heal_restarts"]:
            row["note"] = (f"the target node exited under the fault in {len(row['heal_restarts'])} "
                           f"of {row['trials']} trials (exit codes "
                           f"{sorted({str(r['exit_code']) for r in row['heal_restarts']})}) "
                           "and needed a restart by the heal")
        lost = check_lost(c, acked_all)
        row["acknowledged"] = len(acked_all)
        row["lost"] = len(lost)
        row["lost_examples"] = [list(x) for x in lost[:10]]
        if lost:
            log(f"  LOST {len(lost)} acknowledged writes, e.g. {lost[:5]}")
    except Exception:
        row["note"] = "runner error: " + traceback.format_exc().strip().splitlines()[-1]
        log(f"  runner error:\n{traceback.format_exc()}")
        row["acknowledged"] = len(acked_all)
        row["lost"] = None  # not checked
        try:  # check what can still be checked
            lost = check_lost(c, acked_all)
            row["lost"] = len(lost)
            row["lost_examples"] = [list(x) for x in lost[:10]]
        except Exception as e:
            log(f"  lost writes not checked: {e}")
    finally:
        if row["note"] or row["not_recovered"]:
            row["logs"] = save_logs(c, history_dir, f"{scenario.name}-{size}n")
            log(f"  node logs kept in {row['logs']}")
        row["exit_codes"] = c.close()
    if verdicts:
        row["linearizable"] = (False if False in verdicts
                               else None if None in verdicts else True)
    return row


def _fmt_pair(values):
    med, mx = _stats(values)
    if med is None:
        return "-"
    return f"{med:.2f} / {mx:.2f}"


def _fmt_first(row):
    text = _fmt_pair(row["first_write_after_fault"])
    late = sum(1 for first, held in zip(row["first_write_after_fault"], row["fault_held"])
               if first is None or first > held)
    if late:
        text += f" ({late} of {row['trials']} only after the heal)"
    return text


def _fmt_recovery(row):
    text = _fmt_pair(row["recovery_after_heal"])
    if row["not_recovered"]:
        text += f" ({row['not_recovered']} not within the timeout: restart)"
    if row.get("heal_restarts"):
        text += f" ({len(row['heal_restarts'])} exited under the fault: the heal restarted it)"
    return text


def _fmt_lin(row, history_dir):
    if row["linearizable"] is True:
        return "yes"
    if row["linearizable"] is False:
        return "no: " + ", ".join(os.path.basename(p) for p in row["failing_histories"])
    if row["trials"]:
        return "undecided (checker budget)"
    return "-"


HEADER = ["scenario", "nodes", "trials", "acknowledged writes", "lost writes",
          "linearizable", "first write after fault s (median / max)",
          "recovery after heal s (median / max)"]


def table_rows(rows, history_dir):
    out = []
    for row in rows:
        if row["note"] and not row["trials"]:
            out.append([row["scenario"], str(row["nodes"]), "0", "-", "-", "-", "-",
                        row.get("short_note") or row["note"]])
            continue
        out.append([row["scenario"], str(row["nodes"]), str(row["trials"]),
                    str(row["acknowledged"]),
                    "not checked" if row["lost"] is None else str(row["lost"]),
                    _fmt_lin(row, history_dir),
                    _fmt_first(row), _fmt_recovery(row)])
    return out


def render_text(rows, history_dir):
    body = table_rows(rows, history_dir)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h)
              for i, h in enumerate(HEADER)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADER, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def render_markdown(rows, history_dir, meta):
    lines = [f"Command: `{meta['command']}`  ",
             f"Binary: `{meta['binary']}`; {meta['date']}; {meta['seconds']:.0f} s in all; "
             f"histories in `{history_dir}`.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in table_rows(rows, history_dir):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Tresor chaos scenarios (see the module doc).")
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seconds", type=float, default=15.0,
                   help="length of one trial: 20%% warm-up, 40%% fault, the rest after heal")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS),
                   help="comma-separated, from: " + ", ".join(SCENARIOS))
    p.add_argument("--nodes", default="3,5")
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--keys", type=int, default=8, help="keys per trial")
    p.add_argument("--client-timeout", type=float, default=5.0)
    p.add_argument("--recovery-timeout", type=float, default=15.0)
    p.add_argument("--check-seconds", type=float, default=60.0)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--jitter-ms", type=int, default=20)
    p.add_argument("--loss-pct", type=float, default=2.0)
    p.add_argument("--clock-jump", type=float, default=3600.0)
    p.add_argument("--fsync-aio", choices=("complete", "submit"), default="complete",
                   help="fsync-failure: libraft's AIO log writes fail in their completion "
                        "event (like a real disk) or at io_submit")
    p.add_argument("--out", default=os.path.join(HERE, "..", "..", "bench", "results"),
                   help="directory for chaos.json and chaos.md")
    p.add_argument("--no-write", action="store_true", help="print only, write no results")
    p.add_argument("--command", default=None, help="the command shown in the results")
    args = p.parse_args(argv)
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in args.scenario_list:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    args.node_list = [int(n) for n in args.nodes.split(",")]
    return args


def run(args, log=lambda msg: print(msg, flush=True)):
    """Runs every (scenario, size) of args; returns (rows, history_dir)."""
    history_dir = tempfile.mkdtemp(prefix="tresor-chaos-histories-")
    log(f"binary {harness.BINARY}; histories in {history_dir}")
    rows = []
    try:
        for name in args.scenario_list:
            for size in args.node_list:
                rows.append(run_scenario(SCENARIOS[name], size, args, history_dir, log))
    finally:
        faults.remove_chains()  # each scenario already closed its cluster and faults
    return rows, history_dir


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()

    def log(msg):
        print(msg, flush=True)

    rows, history_dir = run(args, log)
    text = render_text(rows, history_dir)
    print()
    print(text)
    meta = {"command": args.command or "python3 tests/chaos/chaos.py " + " ".join(
                sys.argv[1:] if argv is None else argv),
            "binary": os.path.relpath(os.path.realpath(harness.BINARY),
                                      os.path.realpath(os.path.join(HERE, "..", ".."))),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "seconds": time.monotonic() - started, "history_dir": history_dir,
            "args": {k: v for k, v in vars(args).items() if k not in ("out",)}}
    if not args.no_write:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "chaos.json"), "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
        with open(os.path.join(args.out, "chaos.md"), "w") as f:
            f.write(render_markdown(rows, history_dir, meta))
        log(f"\nwrote {os.path.join(args.out, 'chaos.json')} and chaos.md")
    bad = [r for r in rows if r["trials"] and (r["lost"] != 0 or r["linearizable"] is not True
                                               or (r["note"] or "").startswith("runner error"))]
    for r in rows:
        if (r["note"] or "").startswith("runner error"):
            print(f"{r['scenario']} on {r['nodes']} nodes stopped after {r['trials']} of "
                  f"{args.trials} trials: {r['note']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
