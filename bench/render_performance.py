#!/usr/bin/env python3
"""Writes docs/performance.md from bench/results/*.json (never by hand).

Each benchmark script (raft_bench.py, snapshot_bench.py) writes its own
results file and then calls render(), which rebuilds the whole document
from every results file present, so running one benchmark alone keeps the
other's section. Each section describes the run that produced it (date,
command, machine, load): the figures of different sections may come from
different runs, and only figures within one section were measured
together. Run directly to re-render without measuring:

  python3 bench/render_performance.py [--results-dir DIR] [--doc FILE]

Standard library only.
"""
import argparse
import json
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def load(results_dir, name):
    path = os.path.join(results_dir, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def run_description(results, built):
    m = results["machine"]
    quick = " (quick mode: smaller or shorter runs)" if results.get("quick") else ""
    return f"""- Date: {results['generated_at']}
- Command: `{results['command']}`{quick}
- Machine: {m['cpu_model']}, {m['cores']} cores, Linux {m['kernel']}
- Data directory: {m['filesystem']}
- Load average at start: {m['loadavg_at_start']}; at end: {m['loadavg_at_end']}
- Build: {results['build']}, {built} from this checkout

The machine was **shared** with other work while this ran (see the load
average: it has {m['cores']} cores), and the clients run on the same cores
as the servers. The absolute figures are indicative only; what means
something is the ratios between figures measured together in this run."""


def raft_section(results):
    import raft_bench
    return f"""## Raft: writes and failover

{run_description(results, "`tresor` and `tresor-loadgen`")}
In this section: single node against 3 nodes, active against standby, write latency
against the disk's own fsync latency.

Every server is a real `tresor server` process on loopback with raft
storage in its own directory under the build tree (the same disk the fsync
probe measures), plain HTTP, one unseal key. Writes are KV v2 `POST
/v1/secret/data/<unique key>` with a 100-byte value and the root token, each
connection a closed loop on a keep-alive connection. Through a standby,
every request is forwarded to the active node (one new connection per
forwarded request today: docs/ha.md).

{raft_bench.markdown_tables(results)}"""


SNAPSHOT_METHOD = """Both systems run in the same run, one after the other, on loopback, each
in its own directory under the build tree, with fsync on (each system's
defaults), and store the same keys (`logical/<uuid>/bench/<8 digits>`, 59
bytes) with 1 KiB random (incompressible) values:

- **Tresor**, one raft node. Writing N entries through the API would take
  most of the budget, so the data is loaded the way a restore loads it: a
  small node is initialised, unsealed and given KV v2 at `secret/`, its
  snapshot is saved, and `bench/snapshot_archive.py` writes a new archive
  with the same records plus N synthetic 1 KiB values under
  `logical/<secret/'s mount uuid>/bench/` (ciphertext-shaped bytes that are
  never read), following docs/snapshot-format.md exactly (gzip level 1 as
  Tresor writes, ustar, keys in order, `meta.json` size and `SHA256SUMS`
  recomputed; `tresor operator raft snapshot inspect` verifies it before
  use). `SHA256SUMS.sealed` cannot be remade without the root key, so the
  archive is restored with `snapshot-force` into a fresh uninitialised
  node. **That restore is the restore measurement**: `curl -X POST -T
  FILE` to the 204, which covers reading and verifying the whole archive,
  writing it through raft in staged entries (fsynced) and swapping it in.
  The node is then unsealed with the small node's key, and **save** is
  `curl -o FILE` of `GET sys/storage/raft/snapshot` plus an fsync of the
  file (the server reads its state twice from one read view, once for the
  checksums and once to stream it gzip'd); the saved archive is checked
  with `inspect` to hold all N entries.
- **etcd** (Debian `etcd-server`/`etcd-client`), one member,
  `--quota-backend-bytes` 8 GiB, loaded through the v3 JSON gateway (`POST
  /v3/kv/txn`, 128 puts per txn, 4 connections). **Save** is `etcdctl
  snapshot save FILE` (it streams bbolt's file from the server, fsyncs,
  renames). **Restore** is `etcdctl snapshot restore FILE --data-dir NEW`
  (etcd 3.4 has no `etcdutl`, which is 3.5+): an offline rewrite of the file
  into a new data directory, with no server and no consensus; the restored
  directory is then started and its key count checked.

The two restores do different work: Tresor's is online (a running node,
through raft, every node of a cluster would install it), etcd's is an
offline file operation before a member is started. The table puts them side
by side because they are what each system offers to get from a snapshot to
a serving node.

Memory: a server's *RSS growth* is the highest VmRSS sampled every 20 ms
during the operation minus its VmRSS just before (a long-lived server's
VmHWM would be its whole life's peak); *anon* is the same for RssAnon,
which leaves out file-backed pages. Both servers map their store's file
(LMDB, bbolt), so every page a save reads or a restore writes counts in
VmRSS although it is page cache the kernel can drop; RssAnon is the
memory the process itself allocated. A client's *peak RSS* is
`/usr/bin/time -v`'s maximum resident set size of the whole client process
(`curl` or `etcdctl`). MB/s are 10^6 bytes per second: *archive MB/s*
counts the file's bytes (the formats differ: Tresor's is gzip'd with paths
and headers, etcd's is a bbolt file with its free pages), *entry MB/s*
counts N × 1024 value bytes, the same for both and the figure the ratios use."""


def snapshot_section(results, large):
    import snapshot_bench
    parts = [f"""## Snapshots: save and restore next to etcd

{run_description(results, "`tresor`")}

### Method

{SNAPSHOT_METHOD}

### Results

{snapshot_bench.markdown_tables(results)}"""]
    if large:
        parts.append(f"""### 1M entries (`make bench-snapshot-large`, a separate run)

{run_description(large, "`tresor`")}

{snapshot_bench.markdown_tables(large)}""")
    else:
        parts.append("""### 1M entries

Not part of `make bench` (its loading alone would take most of the
15-minute budget on 2 cores): `make bench-snapshot-large` measures 1M
entries the same way and adds its tables here. It has not been run since
these results were last regenerated.
""")
    return "\n".join(parts)


def render(results_dir, doc_path):
    """Rewrites doc_path from the results files in results_dir."""
    sys.path.insert(0, os.path.join(REPO, "bench"))
    raft = load(results_dir, "raft")
    snapshot = load(results_dir, "snapshot")
    large = load(results_dir, "snapshot-large")
    sections = []
    for name, results, section in (("raft", raft, lambda: raft_section(raft)),
                                   ("snapshot", snapshot,
                                    lambda: snapshot_section(snapshot, large))):
        if not results:
            continue
        try:
            sections.append(section())
        except KeyError as e:
            # A results file written by an older version of its script
            # lacks a field: say so rather than fail the other benchmark.
            sections.append(f"## {name}\n\nbench/results/{name}.json lacks {e} (written by "
                            "an older script): run `make bench` again.\n")
    doc = f"""<!-- GENERATED by bench/render_performance.py from bench/results/*.json.
     Do not edit by hand: change the bench scripts and run `make bench` again. -->
# Performance

Generated by `make bench` (`bench/raft_bench.py`, `bench/snapshot_bench.py`,
then `bench/render_performance.py`); **do not edit by hand**. Each section
says which run produced its figures.

{chr(10).join(sections)}
## Not measured yet

Issue 6 grows this into the full suite: etcd writes, PostgreSQL and an nginx
ceiling side by side in the same run, reads, mixed and token workloads, an
open-loop (rate-limited) mode, cold start, unseal time and memory with 100k
and 1M keys, and a profile of the slowest workload.
"""
    with open(doc_path, "w") as f:
        f.write(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    args = parser.parse_args()
    render(args.results_dir, args.doc)


if __name__ == "__main__":
    main()
