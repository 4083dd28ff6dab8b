#!/usr/bin/env python3
"""Startup benchmark: cold start, unseal time and resident memory of a Tresor
raft node holding N entries of 1 KiB, next to etcd 3.4 holding the same keys
(the suite's scenario "cold start to serving; unseal time; resident memory
with 100k and 1M keys").

For N in (100k, 1M) (--quick: 20k), in one run, on loopback, every server
in its own directory under --workdir (the build tree's disk), fsync on:

Tresor (real `tresor server` processes, raft storage), loaded the way
snapshot_bench.py loads it (its functions, imported): a small node is
initialised, unsealed, gets KV v2 at secret/ and one real secret written
through the API (secret/startup-probe, a random value), and its snapshot is
saved; bench/snapshot_archive.py adds N synthetic 1 KiB entries; the archive
is POSTed to sys/storage/raft/snapshot-force of a fresh uninitialised node.
That node is stopped (SIGTERM, waited for), then restarted 3 times; each
restart measures
  * cold start: from the exec of `tresor server` to the first answer of
    GET /v1/sys/health (503, sealed), polled every 2 ms;
  * unseal: from sending PUT sys/unseal (the small node's key) to the node
    reporting active (sys/health 200) and then answering a KV v2 read of
    secret/startup-probe with the value written before the snapshot;
  * VmRSS and RssAnon (/proc/PID/status) when sealed right after the cold
    start, idle as soon as it is active (before any KV read), and after
    reading that key;
and is stopped again with SIGTERM (it must exit 0).

etcd 3.4 (one member, snapshot_bench's settings), loaded with the same N
keys and 1 KiB random values through its JSON gateway
(snapshot_bench.load_etcd), stopped, restarted 3 times: from the exec of
`etcd` to GET /health answering {"health":"true"} (polled every 2 ms), then
a range read of one loaded key; VmRSS and RssAnon idle when healthy and
after that read. etcd has no unseal. Loading 1M keys into etcd takes over
four minutes here (snapshot-large), so in full mode etcd is measured at
100k only (ETCD_MAX_ENTRIES) and the 1M rows say so.

Loading is not measured, so each archive is built by its own background
process, all at once from the start, while etcd is loaded and the smaller
nodes restored; every node is restored (and stopped) before the first
measurement, and every measurement runs with nothing else of this script
running. The page cache stays warm across
restarts (the data was just written; dropping caches would disturb the
other users of the machine): "cold" means a new process, not a cold disk.

Writes bench/results/startup.json and startup.md. `markdown_tables(results)`
gives the tables (one per measure: N, Tresor, etcd, Tresor/etcd) for
docs/performance.md. Standard library only.
"""
import argparse
import base64
import http.client
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import statistics
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402  (harness loading)
import snapshot_archive  # noqa: E402
import snapshot_bench  # noqa: E402  (loading Tresor and etcd)

try:
    from peers import Etcd  # noqa: E402
except ImportError:
    from snapshot_bench import Etcd  # noqa: E402

VALUE_SIZE = snapshot_bench.VALUE_SIZE
FULL_ENTRIES = (100_000, 1_000_000)
QUICK_ENTRIES = (20_000,)
# etcd takes about 4 minutes to load 1M keys through its gateway here
# (bench/results/snapshot-large.md): outside this script's budget.
ETCD_MAX_ENTRIES = 100_000
RESTARTS = 3
POLL_S = 0.002
START_TIMEOUT_S = 120
PROBE_PATH = "startup-probe"
MIB = 1024 ** 2


def log(message):
    print(f"[startup_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def rss_mib(pid):
    """{"rss_mib", "anon_mib"} of a live process (VmRSS, RssAnon)."""
    kib = snapshot_bench.status_kib(pid)
    if kib is None:
        raise RuntimeError(f"process {pid} is gone")
    return {"rss_mib": kib["VmRSS"] / 1024, "anon_mib": kib["RssAnon"] / 1024}


class Probe:
    """GETs on one keep-alive connection to 127.0.0.1:port, reconnecting
    after a refused or broken connection. get() returns (status, body), or
    None when nothing answers."""

    def __init__(self, port, token=None):
        self.port = port
        self.headers = {"X-Vault-Token": token} if token else {}
        self.conn = None

    def request(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body) if body is not None else None
            self.conn.request(method, path, body=data, headers=self.headers)
            r = self.conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return None

    def get(self, path):
        return self.request("GET", path)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def poll(condition, what):
    return raft_bench.wait_for(condition, timeout=START_TIMEOUT_S, interval=POLL_S, what=what)


# --- Tresor ------------------------------------------------------------------

def prepare_small(workdir):
    """A small initialised node with KV v2 at secret/ and one real secret,
    snapshotted: returns its keys, root token, secret/'s mount uuid, the
    probe's value and the snapshot's path."""
    small, init = snapshot_bench.start_small_node(os.path.join(workdir, "tresor-small"))
    root = init["root_token"]
    small_path = os.path.join(workdir, "tresor-small.snap")
    probe_value = secrets.token_hex(16)
    try:
        r = small.api("POST", f"secret/data/{PROBE_PATH}", {"data": {"value": probe_value}},
                      token=root)
        if r.status != 200:
            raise RuntimeError(f"writing secret/{PROBE_PATH} failed: {r}")
        mount_uuid = snapshot_bench.mount_uuid_of(small, root, "secret")
        snapshot_bench.curl("-o", small_path, "-H", f"X-Vault-Token: {root}",
                            f"{small.address}/v1/sys/storage/raft/snapshot")
    finally:
        small.stop()
    return {"keys": init["keys"], "root": root, "mount_uuid": mount_uuid,
            "probe_value": probe_value, "small_path": small_path}


def build_archive(small_path, workdir, mount_uuid, entries):
    """Runs in the background process: the archive of `entries` entries."""
    path = os.path.join(workdir, f"tresor-{entries}.snap")
    started = time.monotonic()
    built = snapshot_archive.build(small_path, path, mount_uuid, entries, VALUE_SIZE, workdir,
                                   compresslevel=0)
    built.pop("meta")
    return {"path": path, "seconds": time.monotonic() - started, **built}


def verify_archive(binary, built, mount_uuid, entries):
    total, bench = snapshot_bench.tresor_inspect(binary, built["path"], mount_uuid)
    if (total, bench) != (built["records"], entries):
        raise RuntimeError(f"inspect of {built['path']}: {total} records, {bench} under bench/; "
                           f"expected {built['records']} and {entries}")


def restore_node(workdir, built, entries):
    """A fresh node restored from the archive (sealed), and the seconds the
    restore took (loading, for context only)."""
    node, measured = snapshot_bench.tresor_restore(
        workdir, entries, built["path"], built["archive_bytes"], entries * VALUE_SIZE)
    return node, measured["seconds"]


def tresor_restart(node, small):
    """One measured restart of a stopped node; leaves it running, unsealed."""
    health = Probe(node.port)
    reader = Probe(node.port, token=small["root"])
    try:
        started = time.monotonic()
        node.start(wait=False)

        def answered():
            if node.proc.poll() is not None:
                raise RuntimeError(f"tresor exited with {node.proc.returncode}; see "
                                   f"{node.log_path}")
            return health.get("/v1/sys/health")
        status, body = poll(answered, "tresor's sys/health to answer")
        cold_s = time.monotonic() - started
        sealed_rss = rss_mib(node.pid)
        if status != 503 or not json.loads(body).get("sealed"):
            raise RuntimeError(f"a restarted node should answer 503 sealed: {status} {body!r}")

        unseal_sent = time.monotonic()
        answer = health.request("PUT", "/v1/sys/unseal", {"key": small["keys"][0]})
        if answer is None or answer[0] != 200:
            raise RuntimeError(f"sys/unseal failed: {answer!r}")
        unseal_call_s = time.monotonic() - unseal_sent

        def active():
            answer = health.get("/v1/sys/health")
            return answer if answer is not None and answer[0] == 200 else None
        status, body = poll(active, "the node to become active")
        active_s = time.monotonic() - unseal_sent
        idle_rss = rss_mib(node.pid)
        answer = reader.get(f"/v1/secret/data/{PROBE_PATH}")
        if answer is None or answer[0] != 200:
            raise RuntimeError(f"reading secret/{PROBE_PATH} on the active node: {answer!r}")
        unseal_s = time.monotonic() - unseal_sent
        serving_s = time.monotonic() - started
        read_rss = rss_mib(node.pid)
        value = json.loads(answer[1])["data"]["data"].get("value")
        if value != small["probe_value"]:
            raise RuntimeError(f"secret/{PROBE_PATH} holds {value!r}, not the value written")
    finally:
        health.close()
        reader.close()
    return {"cold_start_s": cold_s, "unseal_call_s": unseal_call_s, "active_s": active_s,
            "unseal_s": unseal_s, "to_serving_s": serving_s,
            "sealed_rss_mib": sealed_rss["rss_mib"], "sealed_anon_mib": sealed_rss["anon_mib"],
            "idle_rss_mib": idle_rss["rss_mib"], "idle_anon_mib": idle_rss["anon_mib"],
            "read_rss_mib": read_rss["rss_mib"], "read_anon_mib": read_rss["anon_mib"],
            "cluster_id": json.loads(body).get("cluster_id")}


def stop_cleanly(node):
    code = node.stop(sig=signal.SIGTERM, timeout=120)
    if code != 0:
        raise RuntimeError(f"tresor exited with {code} on SIGTERM; see {node.log_path}")


def dir_mib(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / MIB


def tresor_measure(node, small, entries, restarts):
    """Restarts the stopped node `restarts` times; notes the sizes of its
    raft log directory and its state store, which start-up reads."""
    disk = {"raft_dir_mib": dir_mib(os.path.join(node.data_dir, "raft")),
            "state_dir_mib": dir_mib(os.path.join(node.data_dir, "state"))}
    runs = []
    for _ in range(restarts):
        run = tresor_restart(node, small)
        stop_cleanly(node)
        if runs and run["cluster_id"] != runs[0]["cluster_id"]:
            raise RuntimeError("the restarted node answered with another cluster id")
        runs.append(run)
        log(f"tresor {entries}: cold start {run['cold_start_s']:.3f} s, unseal "
            f"{run['unseal_s']:.3f} s (active after {run['active_s']:.3f} s), RSS idle "
            f"{run['idle_rss_mib']:.1f} MiB (anon {run['idle_anon_mib']:.1f}), after the read "
            f"{run['read_rss_mib']:.1f} (anon {run['read_anon_mib']:.1f})")
    return {**medians(runs), "disk": disk}


def medians(runs):
    """Each measure's median over the runs, and every run."""
    keys = [k for k, v in runs[0].items() if isinstance(v, float)]
    return {"median": {k: statistics.median(r[k] for r in runs) for k in keys}, "runs": runs}


# --- etcd --------------------------------------------------------------------

class TimedEtcd(Etcd):
    """Etcd whose start() polls /health every 2 ms instead of the harness's
    20 ms, so that the time to health is not rounded up by the poll, and
    notes when /health first answered at all (before a leader is elected it
    answers false), the moment comparable to Tresor's sealed answer."""

    first_answer_at = None

    def healthy(self):
        def check():
            if self.first_answer_at is None:
                try:
                    self.post("/health", None, method="GET")
                except OSError:
                    return False
                self.first_answer_at = time.monotonic()
            return super(TimedEtcd, self).healthy()
        self.first_answer_at = None
        poll(check, "etcd to be healthy")
        return True


def etcd_restart(etcd, key):
    started = time.monotonic()
    etcd.start()
    cold_s = time.monotonic() - started
    first_answer_s = etcd.first_answer_at - started
    idle_rss = rss_mib(etcd.proc.pid)
    status, body = etcd.post("/v3/kv/range", {"key": snapshot_bench.b64(key)})
    serving_s = time.monotonic() - started
    read_rss = rss_mib(etcd.proc.pid)
    kvs = json.loads(body).get("kvs") if status == 200 else None
    if not kvs or len(base64.b64decode(kvs[0]["value"])) != VALUE_SIZE:
        raise RuntimeError(f"etcd range of a loaded key failed: {status} {body[:300]!r}")
    return {"cold_start_s": cold_s, "first_answer_s": first_answer_s, "to_serving_s": serving_s,
            "idle_rss_mib": idle_rss["rss_mib"], "idle_anon_mib": idle_rss["anon_mib"],
            "read_rss_mib": read_rss["rss_mib"], "read_anon_mib": read_rss["anon_mib"]}


def etcd_load(workdir, mount_uuid, entries):
    etcd = TimedEtcd(os.path.join(workdir, f"etcd-{entries}"))
    etcd.start()
    try:
        started = time.monotonic()
        snapshot_bench.load_etcd(etcd, mount_uuid, entries)
        load_s = time.monotonic() - started
        loaded = etcd.count(f"logical/{mount_uuid}/bench/".encode())
        if loaded != entries:
            raise RuntimeError(f"etcd holds {loaded} keys after loading, not {entries}")
    finally:
        etcd.stop()
    log(f"etcd {entries}: loaded in {load_s:.1f} s")
    return etcd, load_s


def etcd_measure(etcd, mount_uuid, entries, restarts):
    key = snapshot_archive.bench_key(mount_uuid, entries // 2)
    runs = []
    try:
        for _ in range(restarts):
            run = etcd_restart(etcd, key)
            etcd.stop()
            runs.append(run)
            log(f"etcd {entries}: cold start {run['cold_start_s']:.3f} s, RSS idle "
                f"{run['idle_rss_mib']:.1f} MiB (anon {run['idle_anon_mib']:.1f}), after the read "
                f"{run['read_rss_mib']:.1f} (anon {run['read_anon_mib']:.1f})")
    finally:
        etcd.stop()
    return medians(runs)


# --- the run -----------------------------------------------------------------

def archive_builder(conn, small_path, workdir, mount_uuid, entries):
    """A background process: builds one archive and sends the result down
    conn, or an error text."""
    try:
        conn.send(build_archive(small_path, workdir, mount_uuid, entries))
    except BaseException as e:  # noqa: B902 (reported to the parent)
        conn.send(f"building the archive of {entries} entries failed: {e!r}")


class Archives:
    """The archives, each built by its own forked process (forked before
    any thread exists), all at once: the largest is the run's critical
    path, and starts at once while the parent loads etcd and restores the
    smaller node."""

    def __init__(self, small, workdir, sizes):
        context = multiprocessing.get_context("fork")
        self.pending = {}
        for n in sizes:
            conn, child = context.Pipe(duplex=False)
            proc = context.Process(target=archive_builder, daemon=True,
                                   args=(child, small["small_path"], workdir,
                                         small["mount_uuid"], n))
            proc.start()
            child.close()
            self.pending[n] = (proc, conn)
        self.built = {}

    def get(self, n):
        """Blocks until the archive of n entries is built."""
        if n not in self.built:
            proc, conn = self.pending.pop(n)
            try:
                result = conn.recv()
            except EOFError:
                result = f"the builder of {n} entries died ({proc.exitcode})"
            finally:
                conn.close()
                proc.join()
            if isinstance(result, str):
                raise RuntimeError(result)
            self.built[n] = result
        return self.built[n]

    def close(self):
        for proc, conn in self.pending.values():
            if proc.is_alive():
                proc.terminate()
            proc.join()
            conn.close()
        self.pending = {}


def restore_from(binary, archives, workdir, small, n, loading):
    built = archives.get(n)
    verify_archive(binary, built, small["mount_uuid"], n)
    node, restore_s = restore_node(workdir, built, n)
    os.remove(built["path"])
    loading.setdefault(str(n), {}).update(
        {"archive_build_s": built["seconds"], "archive_bytes": built["archive_bytes"],
         "restore_s": restore_s})
    log(f"tresor {n}: archive of {built['archive_bytes'] / MIB:.1f} MiB built in "
        f"{built['seconds']:.1f} s, restored in {restore_s:.1f} s")
    return node


def run(binary, workdir, sizes, restarts, etcd_max):
    phases = {}
    started = time.monotonic()
    small = prepare_small(workdir)
    phases["small_node_s"] = time.monotonic() - started
    results = {"tresor": {}, "etcd": {}, "etcd_skipped": {}, "loading": {}}
    loading = results["loading"]
    nodes, etcds = {}, {}
    archives = Archives(small, workdir, sizes)
    try:
        # Loading, alongside the archive builds: etcd, then the first node.
        for n in sizes:
            if n <= etcd_max:
                etcds[n], load_s = etcd_load(workdir, small["mount_uuid"], n)
                loading.setdefault(str(n), {})["etcd_load_s"] = load_s
            else:
                results["etcd_skipped"][str(n)] = (
                    f"not measured: loading {n:,} keys into etcd through its gateway takes "
                    "over 4 minutes here (bench/results/snapshot-large.md), outside the budget")
        # Every node restored (the largest last, once its archive is built,
        # with nothing else running) before anything is measured.
        for n in sizes:
            nodes[n] = restore_from(binary, archives, workdir, small, n, loading)
            stop_cleanly(nodes[n])
        phases["loading_s"] = time.monotonic() - started - phases["small_node_s"]

        for n in sizes:
            if n in etcds:
                results["etcd"][str(n)] = etcd_measure(etcds[n], small["mount_uuid"], n,
                                                       restarts)
                shutil.rmtree(etcds[n].data_dir, ignore_errors=True)
            results["tresor"][str(n)] = tresor_measure(nodes[n], small, n, restarts)
            shutil.rmtree(nodes.pop(n).workdir, ignore_errors=True)
    finally:
        archives.close()
        for node in nodes.values():
            node.stop()
    phases["total_s"] = time.monotonic() - started
    results["phases"] = phases
    return results


# --- reports -----------------------------------------------------------------

def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


# (title, key, unit digits, what Tresor's figure is, what etcd's is)
MEASURES = [
    ("Cold start: exec to the first answer of the health endpoint, s", "cold_start_s", 3,
     "to `GET /v1/sys/health` answering 503 (sealed)", "to `GET /health` answering true"),
    ("Unseal: PUT sys/unseal to a KV v2 read of a key written before the restart, s",
     "unseal_s", 3, "", "no unseal"),
    ("To serving: exec to the first read of a stored key answered, s", "to_serving_s", 3,
     "cold start, then unseal, then the read", "cold start, then a range read"),
    ("Resident memory idle after unseal (etcd: once healthy), VmRSS MiB", "idle_rss_mib", 1,
     "", ""),
    ("Resident memory idle after unseal (etcd: once healthy), RssAnon MiB", "idle_anon_mib", 1,
     "", ""),
    ("Resident memory after reading that key, VmRSS MiB", "read_rss_mib", 1, "", ""),
    ("Resident memory after reading that key, RssAnon MiB", "read_anon_mib", 1, "", ""),
]


def markdown_tables(results):
    """The startup section's tables (Markdown) from a results dict: one per
    measure, a row per N (Tresor, etcd, Tresor/etcd), medians of the
    restarts."""
    sizes = results["entries"]
    restarts = results["restarts"]
    lines = [f"Each figure is the median of {restarts} restarts of the same data directory "
             f"(page cache warm); every run is in startup.json. Keys: "
             f"`logical/<uuid>/bench/<8 digits>` with {VALUE_SIZE}-byte random values, the "
             "same keys in both systems. Tresor's node is measured as a `snapshot-force` "
             "restore leaves it (restored, stopped, restarted: no writes since), etcd's as "
             "its gateway writes left it.", ""]
    for title, key, digits, tresor_note, etcd_note in MEASURES:
        lines += [f"#### {title}", ""]
        if tresor_note or etcd_note:
            lines += [f"Tresor: {tresor_note or 'as titled'}; etcd: {etcd_note or 'as titled'}.",
                      ""]
        lines += ["| N | Tresor | etcd | Tresor/etcd |", "|---:|---:|---:|---:|"]
        for n in sizes:
            t = results["tresor"].get(str(n), {}).get("median", {}).get(key)
            e_run = results["etcd"].get(str(n))
            e = e_run["median"].get(key) if e_run else None
            if e_run is None:
                e_cell = "not measured"
            elif e is None:
                e_cell = "n/a"
            else:
                e_cell = fmt(e, digits)
            ratio = f"{t / e:.2f}x" if t is not None and e else "n/a"
            lines.append(f"| {n:,} | {fmt(t, digits)} | {e_cell} | {ratio} |")
        lines.append("")
    for n, reason in results.get("etcd_skipped", {}).items():
        lines += [f"etcd at {int(n):,} keys: {reason}.", ""]
    lines += ["Tresor in detail (medians): the unseal call's own answer, then the node active "
              "(sys/health 200), then the read; memory sealed right after the cold start.",
              "",
              "| N | unseal call s | active after s | unseal to read s | sealed VmRSS MiB | "
              "sealed RssAnon MiB | raft log dir MiB | state store MiB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        t = results["tresor"].get(str(n), {})
        m, disk = t.get("median"), t.get("disk", {})
        if m:
            lines.append(f"| {n:,} | {fmt(m['unseal_call_s'], 3)} | {fmt(m['active_s'], 3)} | "
                         f"{fmt(m['unseal_s'], 3)} | {fmt(m['sealed_rss_mib'], 1)} | "
                         f"{fmt(m['sealed_anon_mib'], 1)} | {fmt(disk.get('raft_dir_mib'), 1)} | "
                         f"{fmt(disk.get('state_dir_mib'), 1)} |")
    lines.append("")
    etcd_rows = [(n, results["etcd"][str(n)]["median"]) for n in sizes
                 if str(n) in results["etcd"]]
    if etcd_rows:
        lines += ["etcd in detail (medians): when `GET /health` first answered at all (the "
                  "moment comparable to Tresor's sealed answer), and when it answered true.",
                  "",
                  "| N | first answer s | health true s | Tresor's sealed answer / etcd's first "
                  "answer |",
                  "|---:|---:|---:|---:|"]
        for n, m in etcd_rows:
            t = results["tresor"].get(str(n), {}).get("median", {}).get("cold_start_s")
            ratio = f"{t / m['first_answer_s']:.2f}x" if t is not None else "n/a"
            lines.append(f"| {n:,} | {fmt(m['first_answer_s'], 3)} | "
                         f"{fmt(m['cold_start_s'], 3)} | {ratio} |")
        lines.append("")
    loading = results.get("loading", {})
    parts = []
    for n in sizes:
        lo = loading.get(str(n), {})
        text = (f"{n:,}: archive {fmt(lo.get('archive_bytes', 0) / MIB, 1)} MiB built in "
                f"{fmt(lo.get('archive_build_s'), 1)} s, restored in {fmt(lo.get('restore_s'), 1)} s")
        if "etcd_load_s" in lo:
            text += f"; etcd loaded in {fmt(lo['etcd_load_s'], 1)} s"
        parts.append(text)
    lines += ["Loading (not measured, for context; the archives are built in background "
              "processes, all at once, while etcd loads): " + "; ".join(parts) + ".", ""]
    phases = results.get("phases", {})
    if "total_s" in phases:
        measuring = phases["total_s"] - phases["small_node_s"] - phases["loading_s"]
        budget = 40 if results.get("quick") else 240
        lines += [f"Wall time {fmt(phases['total_s'], 0)} s: loading {fmt(phases['loading_s'], 0)}"
                  f" s, measuring {fmt(measuring, 0)} s (budget: {budget} s"
                  f"{', exceeded' if phases['total_s'] > budget else ''}).", ""]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                        help="where tresor was built")
    parser.add_argument("--workdir", help="data directories and archives (default: "
                        "<build-dir>/startup-work, wiped before and after)")
    parser.add_argument("--quick", action="store_true", help="20k entries only")
    parser.add_argument("--entries", type=int, nargs="+",
                        help="entry counts (default 100000 1000000; --quick 20000)")
    parser.add_argument("--restarts", type=int, default=RESTARTS,
                        help="measured restarts per system and N (median reported)")
    parser.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    parser.add_argument("--command", help="the command to record as having produced the run")
    args = parser.parse_args()

    sizes = sorted(args.entries or (QUICK_ENTRIES if args.quick else FULL_ENTRIES))
    build_dir = os.path.abspath(args.build_dir)
    binary = os.path.join(build_dir, "tresor")
    if not os.access(binary, os.X_OK):
        sys.exit(f"startup_bench: {binary} is missing: build it first (make bench-build)")
    for tool in ("etcd", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"startup_bench: {tool} is missing: run scripts/install-bench-deps")
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("startup_bench: /usr/bin/time is missing: run scripts/install-bench-deps")
    raft_bench.load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "startup-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(
        bench_results.command_line(args.command), args.quick, workdir, build_dir,
        entries=sizes, value_size=VALUE_SIZE, restarts=args.restarts,
        etcd_version=snapshot_bench.etcd_version())
    started = time.monotonic()
    try:
        results.update(run(binary, workdir, sizes, args.restarts, ETCD_MAX_ENTRIES))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "startup", results, "Startup benchmark",
                               run_summary(results) + markdown_tables(results), args.doc)
    log(f"done in {results['wall_time_s']:.0f} s: {args.results_dir}/startup.json, startup.md")


def run_summary(results):
    """One paragraph on the run, above startup.md's tables."""
    m = results["machine"]
    return (f"Machine: {m['cpu_model']}, {m['cores']} cores, Linux {m['kernel']}; data on "
            f"{m['filesystem']}; load average {m['loadavg_at_start']} at start, "
            f"{m['loadavg_at_end']} at end; build {results['build']}; etcd "
            f"{results['etcd_version']}; {results['wall_time_s']:.0f} s in all.\n\n")


if __name__ == "__main__":
    main()
