#!/usr/bin/env python3
"""The disk's own fsync latency, the floor under every durable write.

Appends 4 KiB and calls fdatasync (fsync where there is none), 200 times, in
a temporary file in the given directory (the one the benchmark's data lives
in: what matters is that disk and file system), and prints p50, p99 and max
in milliseconds. raft_bench.py imports probe(); run alone:

    python3 bench/fsync_probe.py [DIR] [--json]
"""
import json
import math
import os
import sys
import tempfile
import time

BLOCK = 4096
SAMPLES = 200


def percentile(sorted_values, q):
    """Nearest rank, as tresor-loadgen computes it."""
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


def probe(directory, samples=SAMPLES):
    """Returns {"p50_ms", "p99_ms", "max_ms", "samples", "dir"} for directory."""
    sync = getattr(os, "fdatasync", os.fsync)
    block = os.urandom(BLOCK)
    fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=directory)
    try:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            os.write(fd, block)
            sync(fd)
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return {"dir": os.path.abspath(directory), "samples": samples,
            "p50_ms": percentile(times, 0.50), "p99_ms": percentile(times, 0.99),
            "max_ms": times[-1]}


def main(argv):
    as_json = "--json" in argv
    dirs = [a for a in argv if a != "--json"]
    result = probe(dirs[0] if dirs else ".")
    if as_json:
        print(json.dumps(result))
    else:
        print(f"fsync of {BLOCK} B appends in {result['dir']} ({result['samples']} samples): "
              f"p50 {result['p50_ms']:.3f} ms  p99 {result['p99_ms']:.3f} ms  "
              f"max {result['max_ms']:.3f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
