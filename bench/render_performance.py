#!/usr/bin/env python3
"""Writes docs/performance.md from bench/results/*.json (never by hand).

Each benchmark script (compare_bench.py, raft_bench.py, snapshot_bench.py,
startup_bench.py, scale_bench.py, unseal_bench.py, observability_bench.py, ha_failover_bench.py,
profile_bench.py)
writes its own results file and then
calls render(), which rebuilds the whole document
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
  never read), following docs/snapshot-format.md exactly (gzip level 0 as
  Tresor writes, ustar, keys in order, `meta.json` size and `SHA256SUMS`
  recomputed; `tresor operator raft snapshot inspect` verifies it before
  use). `SHA256SUMS.sealed` cannot be remade without the root key, so the
  archive is restored with `snapshot-force` into a fresh uninitialised
  node. **That restore is the restore measurement**: `curl -X POST -T
  FILE` to the 204, which covers reading and verifying the whole archive
  while writing it through raft in staged entries (fsynced), and the
  commit entry that makes the staged records the state.
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


def compare_section(results):
    import compare_bench
    v = results.get("peer_versions", {})
    return f"""## Single node: Tresor next to etcd, PostgreSQL and nginx

{run_description(results, "`tresor` and `tresor-loadgen`")}

### Method

All four run at once on loopback, each in its own directory under the
build tree and with its durability defaults (fsync on), and each row is
measured on one system after the other:

- **Tresor**: one `tresor server`, raft storage, KV v2
  at `secret/`, driven by `tresor-loadgen` on keep-alive connections.
  `kv2-read` reads a hot set of 1,000 keys written first; `kv2-write`
  writes a new key per request; `mixed` is 90% hot-set reads and 10% new
  writes; `token-create` creates a child token of the root token;
  `kv2-read-acl50` is `kv2-read` by a token whose policy has
  {results['acl_rules']} rules (49 that do not match, then the one that
  does), next to the same reads by the root token, which skips the ACL.
- **etcd** {v.get('etcd', '')}, one member: the same requests through
  its v3 JSON gateway (`POST /v3/kv/put`, `POST /v3/kv/range`, linearizable:
  etcd's default), keys and values base64 as the gateway wants them.
- **PostgreSQL** {v.get('postgres', '')}, `synchronous_commit=on`:
  `pgbench -M prepared`, one `INSERT` of a new key or one `SELECT` of a
  hot-set key per transaction, at the same client count.
- **nginx** {v.get('nginx', '')}: a static 200-byte JSON body, the
  ceiling of this machine's loopback HTTP with this load generator.

### Results

{compare_bench.markdown_tables(results)}"""


def startup_section(results):
    import startup_bench
    return f"""## Cold start, unseal and memory with 100k and 1M keys

{run_description(results, "`tresor`")}

{startup_bench.markdown_tables(results)}"""


def scale_section(results, large_restore):
    import scale_bench
    parts = [f"""## Memory, disk, snapshots and cold start as the data grows

{run_description(results, "`tresor`")}

{scale_bench.markdown_tables(results)}"""]
    if large_restore:
        import restore_large_bench
        parts.append(f"""### A 10 GiB restore (`make bench-restore-large`, a separate run)

{run_description(large_restore, "`tresor`")}

{restore_large_bench.markdown(large_restore)}""")
    return "\n".join(parts)


def unseal_section(results):
    import unseal_bench
    return f"""## Unseal time: Shamir next to each auto-unseal seal

{run_description(results, "`tresor`")}

{unseal_bench.markdown(results)}"""


def dr_section(results):
    import dr_bench
    return f"""## DR replication: lag, promotion, resync

{run_description(results, "`tresor`")}

{dr_bench.markdown(results)}"""


def snapshot_auto_section(results):
    import snapshot_auto_bench
    return f"""## Automated snapshots: local and S3

{run_description(results, "`tresor`")}

{snapshot_auto_bench.markdown(results)}"""


def observability_section(results):
    import observability_bench
    return f"""## The cost of metrics and of a file audit device

{run_description(results, "`tresor` and `tresor-loadgen`")}

{observability_bench.markdown(results)}"""


def ha_failover_section(results):
    import ha_failover_bench
    return f"""## HA fail-over by backend: raft, PostgreSQL, etcd

{run_description(results, "`tresor`")}

{ha_failover_bench.markdown(results)}"""


def profile_section(results):
    import profile_bench
    notes_path = os.path.join(REPO, "bench", "profile_notes.md")
    notes = ""
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            notes = "### What the profile shows\n\n" + f.read()
    return f"""## Profile of the slowest workload

{run_description(results, "`tresor`")}

{profile_bench.markdown_tables(results)}
{notes}"""


# (results file, section) in the order of the document.
SECTIONS = ("compare", "raft", "snapshot", "startup", "scale", "unseal", "dr", "snapshot-auto",
            "observability", "ha-failover", "profile")


def render(results_dir, doc_path):
    """Rewrites doc_path from the results files in results_dir."""
    sys.path.insert(0, os.path.join(REPO, "bench"))
    loaded = {name: load(results_dir, name)
              for name in SECTIONS + ("snapshot-large", "restore-large")}
    builders = {"compare": compare_section, "raft": raft_section,
                "snapshot": lambda r: snapshot_section(r, loaded["snapshot-large"]),
                "startup": startup_section,
                "scale": lambda r: scale_section(r, loaded["restore-large"]),
                "unseal": unseal_section,
                "dr": dr_section,
                "snapshot-auto": snapshot_auto_section,
                "observability": observability_section,
                "ha-failover": ha_failover_section,
                "profile": profile_section}
    sections = []
    for name in SECTIONS:
        results = loaded[name]
        if not results:
            sections.append(f"## {name}\n\nNo bench/results/{name}.json: run `make bench`.\n")
            continue
        try:
            sections.append(builders[name](results))
        except KeyError as e:
            # A results file written by an older version of its script
            # lacks a field: say so rather than fail the other benchmarks.
            sections.append(f"## {name}\n\nbench/results/{name}.json lacks {e} (written by "
                            "an older script): run `make bench` again.\n")
    doc = f"""<!-- GENERATED by bench/render_performance.py from bench/results/*.json.
     Do not edit by hand: change the bench scripts and run `make bench` again. -->
# Performance

Generated by `make bench` (bench/compare_bench.py, raft_bench.py,
snapshot_bench.py, startup_bench.py, scale_bench.py, unseal_bench.py, dr_bench.py,
snapshot_auto_bench.py, observability_bench.py, ha_failover_bench.py and profile_bench.py, each writing
bench/results/<name>.json, then bench/render_performance.py); **do not edit
by hand**. `make bench-quick` runs the same suite with shorter runs and
fewer keys (its sections say "quick mode"). Every peer is started by the
scripts on loopback and stopped after; scripts/install-bench-deps installs
them (etcd 3.4, PostgreSQL 15, nginx, perf). Each section says which run
produced its figures; only figures within one section were measured
together, and only their ratios mean much on a shared machine.

{chr(10).join(sections)}"""
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
