#!/usr/bin/env python3
"""Snapshot benchmark: Tresor's save and restore next to etcd 3.4's (one
scenario of the `make bench` suite).

For N entries of 1 KiB (--entries; make bench 100k, bench-quick 20k), in one
run, on loopback, every server in its own directory under --workdir (on the
disk of the build tree, fsync on everywhere, each system's defaults):

Tresor (real `tresor server` processes, raft storage):
  * a small node is initialised, unsealed, gets KV v2 at secret/, and its
    snapshot is saved; snapshot_archive.py turns it into an archive of the
    same records plus N synthetic 1 KiB values under
    logical/<secret/'s uuid>/bench/<n> (writing N entries through the API
    would take most of the budget);
  * restore: that archive is POSTed to sys/storage/raft/snapshot-force of a
    fresh uninitialised node (curl), timed to the 204; the node's RSS is
    sampled every 20 ms during it;
  * save: the restored node is unsealed with the small node's key and
    `GET sys/storage/raft/snapshot` is timed (curl -o FILE, then fsync of
    FILE, as a save to disk must), RSS sampled likewise.

etcd 3.4 (Debian etcd-server/etcd-client, one node, --quota-backend-bytes
raised to 8 GiB):
  * the same N keys (the same key strings) with 1 KiB random values are
    written through the v3 JSON gateway, POST /v3/kv/txn with 128 puts per
    txn (etcd's default --max-txn-ops) on 4 connections;
  * save: `etcdctl snapshot save FILE` under /usr/bin/time -v (its own peak
    RSS) while the server's RSS is sampled;
  * restore: `etcdctl snapshot restore FILE --data-dir NEW` (etcd 3.4 has no
    etcdutl) under /usr/bin/time -v; the restored directory is then started
    and its key count checked.

Every archive is checked (Tresor's with `tresor operator raft snapshot
inspect`, etcd's by counting keys after the restore) so that a fast but
empty result cannot pass. Writes bench/results/snapshot.json (or
snapshot-large.json with --large) and .md, then regenerates
docs/performance.md through render_performance.py. Run it through `make
bench`, `make bench-quick` or `make bench-snapshot-large`.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))

import bench_results  # noqa: E402
import raft_bench  # noqa: E402  (harness loading, machine description)
import snapshot_archive  # noqa: E402
from peers import Etcd, b64, etcd_version, free_port  # noqa: E402,F401

VALUE_SIZE = 1024
ETCD_TXN_OPS = 128  # etcd's default --max-txn-ops
ETCD_CONNECTIONS = 4
RSS_INTERVAL_S = 0.02
STATE_TIMEOUT_S = 300
MB = 1e6
MIB = 1024 ** 2


def log(message):
    print(f"[snapshot_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- memory ------------------------------------------------------------------

def status_kib(pid):
    """{field: KiB} of VmRSS and RssAnon in /proc/pid/status, or None once
    the process is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name = line.split(":", 1)[0]
                if name in ("VmRSS", "RssAnon"):
                    values[name] = int(line.split()[1])
    except OSError:
        return None
    return values if len(values) == 2 else None


class RssSampler(threading.Thread):
    """Samples a process's VmRSS and RssAnon every 20 ms from start() to
    stop(); reports each before, its highest sample, and the difference (the
    growth the measured operation caused, which is what the peak of a
    long-lived server means here: VmHWM would be the whole life's peak).
    RssAnon leaves out file-backed pages: both servers map their store's
    file (LMDB, bbolt), and every page of it a snapshot reads counts in
    VmRSS while it stays page cache the kernel can drop."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.before = status_kib(pid) or {"VmRSS": 0, "RssAnon": 0}
        self.peak = dict(self.before)
        self.samples = 0
        self.stopping = threading.Event()

    def sample(self):
        values = status_kib(self.pid)
        if values is not None:
            for name, kib in values.items():
                self.peak[name] = max(self.peak[name], kib)
            self.samples += 1

    def run(self):
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(RSS_INTERVAL_S)

    def stop(self):
        self.stopping.set()
        self.join()
        self.sample()
        return {"rss_before_mib": self.before["VmRSS"] / 1024,
                "rss_peak_mib": self.peak["VmRSS"] / 1024,
                "rss_growth_mib": (self.peak["VmRSS"] - self.before["VmRSS"]) / 1024,
                "anon_before_mib": self.before["RssAnon"] / 1024,
                "anon_peak_mib": self.peak["RssAnon"] / 1024,
                "anon_growth_mib": (self.peak["RssAnon"] - self.before["RssAnon"]) / 1024,
                "rss_samples": self.samples}


def run_timed(cmd, **kwargs):
    """Runs cmd under /usr/bin/time -v; returns (seconds, peak RSS MiB of cmd
    itself, CompletedProcess). Fails when cmd fails."""
    full = ["/usr/bin/time", "-v"] + cmd
    started = time.monotonic()
    out = subprocess.run(full, capture_output=True, text=True, **kwargs)
    seconds = time.monotonic() - started
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({out.returncode}): "
                           f"{out.stderr.strip()[-2000:]}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return seconds, (int(match.group(1)) / 1024 if match else None), out


def fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rates(result, archive_bytes, entry_bytes):
    result["archive_bytes"] = archive_bytes
    result["archive_mb_s"] = archive_bytes / MB / result["seconds"]
    result["entry_mb_s"] = entry_bytes / MB / result["seconds"]
    return result


# --- Tresor ------------------------------------------------------------------

def curl(*args):
    out = subprocess.run(["curl", "-sS", "--fail-with-body", *args], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"curl {args[-1]} failed ({out.returncode}): "
                           f"{(out.stdout + out.stderr).strip()[-1000:]}")
    return out.stdout


def tresor_inspect(binary, path, mount_uuid):
    """Counts of the archive by `tresor operator raft snapshot inspect` (a
    full offline verification but the seal): (total records, bench records)."""
    out = subprocess.run([binary, "operator", "raft", "snapshot", "inspect", "-details",
                          "-depth=3", "-format=json", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"inspect {path} failed: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    bench = next((k["count"] for k in report["keys"]
                  if k["name"] == f"logical/{mount_uuid}/bench/"), 0)
    return report["total_count"], bench


def mount_uuid_of(node, token, path):
    r = node.api("GET", f"sys/mounts/{path}", token=token)
    if r.status != 200:
        raise RuntimeError(f"reading the mount {path} failed: {r}")
    return (r.json.get("data") or r.json)["uuid"]


def start_small_node(workdir):
    """An initialised, unsealed single raft node with KV v2 at secret/;
    returns (node, init response)."""
    os.makedirs(workdir, exist_ok=True)
    node = raft_bench.TresorServer(storage="raft", workdir=workdir)
    try:
        node.start()
        init = node.init(1, 1)
        node.unseal(init["keys"])
        raft_bench.wait_for(lambda: raft_bench.is_active(node), timeout=STATE_TIMEOUT_S,
                            what="the small node to become active")
        raft_bench.ensure_kv2_at_secret(node, init["root_token"])
    except BaseException:
        raft_bench.kill_all([node])
        raise
    return node, init


def tresor_phase(binary, workdir, entries, repeats):
    wait_for = raft_bench.wait_for
    entry_bytes = entries * VALUE_SIZE
    small, init = start_small_node(os.path.join(workdir, "tresor-small"))
    keys, root = init["keys"], init["root_token"]
    small_path = os.path.join(workdir, "tresor-small.snap")
    try:
        mount_uuid = mount_uuid_of(small, root, "secret")
        curl("-o", small_path, "-H", f"X-Vault-Token: {root}",
             f"{small.address}/v1/sys/storage/raft/snapshot")
    finally:
        small.stop()

    log(f"tresor: building an archive of {entries} entries of {VALUE_SIZE} bytes "
        f"from a {os.path.getsize(small_path)}-byte snapshot of a fresh node")
    built_path = os.path.join(workdir, "tresor-built.snap")
    started = time.monotonic()
    built = snapshot_archive.build(small_path, built_path, mount_uuid, entries, VALUE_SIZE,
                                   workdir)
    build_s = time.monotonic() - started
    total, bench = tresor_inspect(binary, built_path, mount_uuid)
    if (total, bench) != (built["records"], entries):
        raise RuntimeError(f"inspect of the built archive: {total} records, {bench} under "
                           f"bench/; expected {built['records']} and {entries}")
    log(f"tresor: built {built['archive_bytes'] / MIB:.1f} MiB in {build_s:.1f} s "
        f"(state.bin {built['state_bytes'] / MIB:.1f} MiB); inspect verified it")

    restores = []
    node = None
    try:
        for trial in range(repeats):
            if node is not None:
                node.stop()
                shutil.rmtree(node.workdir, ignore_errors=True)
            node, measured = tresor_restore(workdir, trial, built_path, built["archive_bytes"],
                                            entry_bytes)
            restores.append(measured)
        # The last restored node serves the saves.
        node.unseal(keys)
        wait_for(lambda: raft_bench.is_active(node), timeout=STATE_TIMEOUT_S,
                 what="the restored node to become active")
        saved_path = os.path.join(workdir, "tresor-saved.snap")
        saves = [tresor_save(node, root, saved_path, entry_bytes) for _ in range(repeats)]
    finally:
        if node is not None:
            node.stop()
    total, bench = tresor_inspect(binary, saved_path, mount_uuid)
    if bench != entries:
        raise RuntimeError(f"the saved archive holds {bench} bench entries, not {entries}")
    save = median_run(saves)
    save["records"] = total
    return {"save": save, "restore": median_run(restores),
            "built_archive": {"seconds": build_s, "records": built["records"],
                              "state_bytes": built["state_bytes"],
                              "archive_bytes": built["archive_bytes"]},
            "mount_uuid": mount_uuid}


def tresor_restore(workdir, trial, archive_path, archive_bytes, entry_bytes):
    """Starts a fresh uninitialised node and restores the archive into it
    with snapshot-force; returns (the node, sealed, and the measurement)."""
    node_dir = os.path.join(workdir, f"tresor-restored-{trial}")
    os.makedirs(node_dir)
    node = raft_bench.TresorServer(storage="raft", workdir=node_dir)
    node.start()
    try:
        # The body streamed from the file (-T, with -X POST: curl would
        # otherwise PUT), as the CLI sends it.
        sampler = RssSampler(node.pid)
        sampler.start()
        seconds, client_mib, _ = run_timed(
            ["curl", "-sS", "--fail-with-body", "-o", "/dev/null", "-X", "POST",
             "-H", "Content-Type: application/octet-stream", "-T", archive_path,
             f"{node.address}/v1/sys/storage/raft/snapshot-force"])
        restore = rates({"seconds": seconds, "client_peak_rss_mib": client_mib,
                         **sampler.stop()}, archive_bytes, entry_bytes)
        log(f"tresor restore: {seconds:.2f} s, {restore['archive_mb_s']:.1f} MB/s, "
            f"server RSS +{restore['rss_growth_mib']:.1f} MiB "
            f"(anonymous +{restore['anon_growth_mib']:.1f} MiB)")
        status = node.seal_status()
        if not (status["initialized"] and status["sealed"]):
            raise RuntimeError(f"after snapshot-force the node should be initialised and "
                               f"sealed: {status}")
    except BaseException:
        node.stop()
        raise
    return node, restore


def tresor_save(node, token, saved_path, entry_bytes):
    """GET sys/storage/raft/snapshot to saved_path (curl, then fsync)."""
    if os.path.exists(saved_path):
        os.remove(saved_path)
    sampler = RssSampler(node.pid)
    sampler.start()
    started = time.monotonic()
    _, client_mib, _ = run_timed(
        ["curl", "-sS", "--fail-with-body", "-o", saved_path, "-H", f"X-Vault-Token: {token}",
         f"{node.address}/v1/sys/storage/raft/snapshot"])
    fsync_file(saved_path)
    seconds = time.monotonic() - started
    save = rates({"seconds": seconds, "client_peak_rss_mib": client_mib, **sampler.stop()},
                 os.path.getsize(saved_path), entry_bytes)
    log(f"tresor save: {seconds:.2f} s, {save['archive_mb_s']:.1f} MB/s, "
        f"server RSS +{save['rss_growth_mib']:.1f} MiB "
        f"(anonymous +{save['anon_growth_mib']:.1f} MiB)")
    return save


def median_run(runs):
    """The run of median duration (the lower median of an even count), with
    every run's seconds and the highest RSS figures of all runs attached:
    the machine is shared, so one slow run says little, but memory peaks
    are reported at their worst."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all_seconds"] = [r["seconds"] for r in runs]
    for key in ("rss_growth_mib", "anon_growth_mib", "client_peak_rss_mib"):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            chosen[f"max_{key}"] = max(values)
    return chosen


# --- etcd --------------------------------------------------------------------

def load_etcd(etcd, mount_uuid, entries):
    """Writes the benchmark's N keys with 1 KiB random values through the
    JSON gateway, 128 puts per txn, on ETCD_CONNECTIONS connections."""
    batches = list(range(0, entries, ETCD_TXN_OPS))
    lock = threading.Lock()
    errors = []

    def worker(index):
        rng = random.Random(1000 + index)
        conn = http.client.HTTPConnection(etcd.client_url[len("http://"):], timeout=120)
        try:
            while True:
                with lock:
                    if not batches or errors:
                        return
                    start = batches.pop()
                ops = [{"requestPut": {"key": b64(snapshot_archive.bench_key(mount_uuid, n)),
                                       "value": b64(rng.randbytes(VALUE_SIZE))}}
                       for n in range(start, min(start + ETCD_TXN_OPS, entries))]
                status, body = etcd.post("/v3/kv/txn", {"success": ops}, conn=conn)
                if status != 200:
                    with lock:
                        errors.append(f"txn at {start}: {status} {body[:300]!r}")
        except OSError as e:
            with lock:
                errors.append(f"connection {index}: {e}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(ETCD_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"loading etcd failed: {errors[0]}")


def etcd_phase(workdir, entries, mount_uuid, repeats):
    entry_bytes = entries * VALUE_SIZE
    prefix = f"logical/{mount_uuid}/bench/".encode()
    env = {**os.environ, "ETCDCTL_API": "3"}
    etcd = Etcd(os.path.join(workdir, "etcd-source")).start()
    saved_path = os.path.join(workdir, "etcd.snapshot.db")
    try:
        started = time.monotonic()
        load_etcd(etcd, mount_uuid, entries)
        load_s = time.monotonic() - started
        loaded = etcd.count(prefix)
        if loaded != entries:
            raise RuntimeError(f"etcd holds {loaded} keys after loading, not {entries}")
        log(f"etcd: loaded {entries} keys in {load_s:.1f} s ({entries / load_s:.0f} puts/s)")
        saves = [etcd_save(etcd, saved_path, entry_bytes, env) for _ in range(repeats)]
    finally:
        etcd.stop()
    save = median_run(saves)

    restores = []
    for trial in range(repeats):
        restored = Etcd(os.path.join(workdir, f"etcd-restored-{trial}"), name="restored")
        seconds, client_mib, _ = run_timed(
            ["etcdctl", "snapshot", "restore", saved_path, "--data-dir", restored.data_dir,
             "--name", restored.name, "--initial-cluster",
             f"{restored.name}={restored.peer_url}",
             "--initial-advertise-peer-urls", restored.peer_url], env=env)
        restores.append(rates({"seconds": seconds, "client_peak_rss_mib": client_mib},
                              save["archive_bytes"], entry_bytes))
        log(f"etcd restore: {seconds:.2f} s, {restores[-1]['archive_mb_s']:.1f} MB/s, "
            f"etcdctl peak {client_mib:.1f} MiB")
        if trial == repeats - 1:
            restored.start()
            try:
                count = restored.count(prefix)
            finally:
                restored.stop()
            if count != entries:
                raise RuntimeError(f"the restored etcd holds {count} keys, not {entries}")
        shutil.rmtree(restored.data_dir, ignore_errors=True)
    return {"save": save, "restore": median_run(restores),
            "load": {"seconds": load_s, "keys": entries}, "version": etcd_version()}


def etcd_save(etcd, saved_path, entry_bytes, env):
    """`etcdctl snapshot save` of the running member to saved_path."""
    if os.path.exists(saved_path):
        os.remove(saved_path)
    sampler = RssSampler(etcd.proc.pid)
    sampler.start()
    seconds, client_mib, _ = run_timed(
        ["etcdctl", f"--endpoints={etcd.client_url}", "snapshot", "save", saved_path], env=env)
    save = rates({"seconds": seconds, "client_peak_rss_mib": client_mib, **sampler.stop()},
                 os.path.getsize(saved_path), entry_bytes)
    log(f"etcd save: {seconds:.2f} s, {save['archive_mb_s']:.1f} MB/s, "
        f"server RSS +{save['rss_growth_mib']:.1f} MiB "
        f"(anonymous +{save['anon_growth_mib']:.1f} MiB), etcdctl peak {client_mib:.1f} MiB")
    return save


# --- reports -----------------------------------------------------------------

def ratio(a, b):
    return a / b if b else None


def compute_ratios(results):
    t, e = results["tresor"], results["etcd"]
    gib_entries = results["entries"] * VALUE_SIZE / 1024 ** 3
    return {
        "save_entry_mb_s": ratio(t["save"]["entry_mb_s"], e["save"]["entry_mb_s"]),
        "restore_entry_mb_s": ratio(t["restore"]["entry_mb_s"], e["restore"]["entry_mb_s"]),
        "save_server_rss_growth": ratio(t["save"]["max_rss_growth_mib"],
                                        e["save"]["max_rss_growth_mib"]),
        "save_server_anon_growth": ratio(t["save"]["max_anon_growth_mib"],
                                         e["save"]["max_anon_growth_mib"]),
        "tresor_restore_s_per_gib_of_entries": t["restore"]["seconds"] / gib_entries,
        "tresor_save_s_per_gib_of_entries": t["save"]["seconds"] / gib_entries,
    }


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def growth(m):
    """'VmRSS growth / RssAnon growth' of a server, in MiB, the highest of
    the runs."""
    return f"{fmt(m['max_rss_growth_mib'], 1)} / {fmt(m['max_anon_growth_mib'], 1)}"


def markdown_tables(results):
    """The snapshot section's tables (Markdown) from a results dict."""
    t, e, r = results["tresor"], results["etcd"], results["ratios"]
    n = results["entries"]
    entry_mb = n * VALUE_SIZE / MB
    rows = [
        ("save", "Tresor", "`curl -o FILE GET sys/storage/raft/snapshot` + fsync", t["save"],
         growth(t["save"])),
        ("save", f"etcd {e['version']}", "`etcdctl snapshot save FILE`", e["save"],
         growth(e["save"])),
        ("restore", "Tresor", "`curl -X POST -T FILE sys/storage/raft/snapshot-force` "
         "into a fresh node, to the 204", t["restore"], growth(t["restore"])),
        ("restore", f"etcd {e['version']}", "`etcdctl snapshot restore FILE --data-dir NEW` "
         "(offline)", e["restore"], "no server"),
    ]
    repeats = results.get("repeats", 1)
    anon_per_archive = t["restore"]["max_anon_growth_mib"] * MIB / t["restore"]["archive_bytes"]
    lines = [f"#### {n:,} entries of {VALUE_SIZE} bytes ({fmt(entry_mb, 1)} MB of values)",
             "",
             f"Each operation ran {repeats} time(s) per system; seconds and MB/s are the "
             "median run's, memory the highest of the runs.",
             "",
             "| operation | system | command | archive MiB | seconds | archive MB/s | "
             "entry MB/s | server RSS growth MiB (all / anon) | client peak RSS MiB | "
             "every run, s |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for op, system, command, m, server in rows:
        lines.append(f"| {op} | {system} | {command} | {fmt(m['archive_bytes'] / MIB, 1)} | "
                     f"{fmt(m['seconds'])} | {fmt(m['archive_mb_s'], 1)} | "
                     f"{fmt(m['entry_mb_s'], 1)} | {server} | "
                     f"{fmt(m['max_client_peak_rss_mib'], 1)} | "
                     f"{', '.join(fmt(x) for x in m['all_seconds'])} |")
    lines += ["",
              "| measure | Tresor | etcd | Tresor/etcd | target |",
              "|---|---:|---:|---:|---|",
              f"| save, entry MB/s | {fmt(t['save']['entry_mb_s'], 1)} | "
              f"{fmt(e['save']['entry_mb_s'], 1)} | {fmt(r['save_entry_mb_s'])}x | >= 1x |",
              f"| restore, entry MB/s | {fmt(t['restore']['entry_mb_s'], 1)} | "
              f"{fmt(e['restore']['entry_mb_s'], 1)} | {fmt(r['restore_entry_mb_s'])}x | |",
              f"| save, server VmRSS growth MiB | {fmt(t['save']['max_rss_growth_mib'], 1)} | "
              f"{fmt(e['save']['max_rss_growth_mib'], 1)} | "
              f"{fmt(r['save_server_rss_growth'])}x | |",
              f"| save, server RssAnon growth MiB | {fmt(t['save']['max_anon_growth_mib'], 1)} | "
              f"{fmt(e['save']['max_anon_growth_mib'], 1)} | "
              f"{fmt(r['save_server_anon_growth'])}x | |",
              f"| restore, seconds per GiB of values (linear extrapolation) | "
              f"{fmt(r['tresor_restore_s_per_gib_of_entries'], 1)} | | | under 10 s |",
              "",
              f"Loading (not measured, for context): Tresor's archive was built in "
              f"{fmt(t['built_archive']['seconds'], 1)} s by bench/snapshot_archive.py "
              f"({t['built_archive']['records']:,} records); etcd took "
              f"{fmt(e['load']['seconds'], 1)} s for {n:,} puts through the JSON gateway "
              f"({fmt(n / e['load']['seconds'], 0)} puts/s, {ETCD_TXN_OPS} per txn, "
              f"{ETCD_CONNECTIONS} connections).",
              "",
              f"Tresor's restore grew the server's RssAnon by "
              f"{fmt(t['restore']['max_anon_growth_mib'], 1)} MiB ({fmt(anon_per_archive, 1)}"
              f"x the archive), and the node still held "
              f"{fmt(t['save']['anon_before_mib'], 1)} MiB of RssAnon before the saves; its "
              f"saves grew RssAnon by at most {fmt(t['save']['max_anon_growth_mib'], 1)} MiB "
              f"(the archive streams).",
              "",
              "Server memory in the median run:",
              "",
              "| server | operation | VmRSS before MiB | VmRSS peak MiB | RssAnon before MiB | "
              "RssAnon peak MiB |",
              "|---|---|---:|---:|---:|---:|"]
    for system, op, m in (("Tresor", "save", t["save"]), ("Tresor", "restore", t["restore"]),
                          ("etcd", "save", e["save"])):
        lines.append(f"| {system} | {op} | {fmt(m['rss_before_mib'], 1)} | "
                     f"{fmt(m['rss_peak_mib'], 1)} | {fmt(m['anon_before_mib'], 1)} | "
                     f"{fmt(m['anon_peak_mib'], 1)} |")
    lines.append("")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                        help="where tresor was built")
    parser.add_argument("--workdir", help="data directories and archives (default: "
                        "<build-dir>/snapshot-work, wiped before and after)")
    parser.add_argument("--entries", type=int,
                        help="entries of 1 KiB (100000; --quick 20000; --large 1000000)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", action="store_true",
                        help="1M entries, results in snapshot-large.{json,md}")
    parser.add_argument("--repeats", type=int,
                        help="saves and restores per system, median reported (3; --large 1)")
    parser.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    parser.add_argument("--command", help="the command to record as having produced the run")
    args = parser.parse_args()

    entries = args.entries or (1_000_000 if args.large else 20_000 if args.quick else 100_000)
    name = "snapshot-large" if args.large else "snapshot"
    repeats = args.repeats or (1 if args.large else 3)
    build_dir = os.path.abspath(args.build_dir)
    binary = os.path.join(build_dir, "tresor")
    if not os.access(binary, os.X_OK):
        sys.exit(f"snapshot_bench: {binary} is missing: build it first (make bench does)")
    for tool in ("etcd", "etcdctl", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"snapshot_bench: {tool} is missing: run scripts/install-bench-deps")
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("snapshot_bench: /usr/bin/time is missing: run scripts/install-bench-deps")
    raft_bench.load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "snapshot-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, entries=entries,
                                        value_size=VALUE_SIZE, repeats=repeats)
    started = time.monotonic()
    results["tresor"] = tresor_phase(binary, workdir, entries, repeats)
    results["etcd"] = etcd_phase(workdir, entries, results["tresor"]["mount_uuid"], repeats)
    results["ratios"] = compute_ratios(results)
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, name, results, "Snapshot benchmark",
                               markdown_tables(results), args.doc)
    shutil.rmtree(workdir, ignore_errors=True)
    r = results["ratios"]
    log(f"done in {results['wall_time_s']:.0f} s: save Tresor/etcd {fmt(r['save_entry_mb_s'])}x, "
        f"restore Tresor/etcd {fmt(r['restore_entry_mb_s'])}x; {args.results_dir}/{name}.json, "
        f"{name}.md, {os.path.relpath(args.doc, REPO)}")


if __name__ == "__main__":
    main()
