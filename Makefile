# Benchmarks. The build and the tests are run with cmake and scripts/ (see
# README.md); this Makefile only adds the benchmark targets.
#
#   make bench        Release build in build-bench, then the whole suite
#                     (about 21 min on 2 cores): bench/compare_bench.py (single
#                     node next to etcd, PostgreSQL and nginx),
#                     raft_bench.py (3 nodes and failover, next to a 3-member
#                     etcd), snapshot_bench.py (100k x 1 KiB save/restore
#                     next to etcd), startup_bench.py (cold start, unseal,
#                     memory at 100k and 1M keys), scale_bench.py (memory,
#                     disk, save, restore and cold start at 100 MB and 1 GB
#                     of 2 KiB values next to etcd), unseal_bench.py (restart to
#                     unsealed with Shamir and each auto-unseal seal),
#                     profile_bench.py (perf profile of the workload slowest
#                     relative to etcd) and observability_bench.py (kv2-read
#                     with metrics off, on, and on plus a file audit device)
#   make bench-quick  the same with short runs and few keys (< 2 min)
#   make bench-restore-large
#                     a 10 GiB snapshot restored into a fresh node, Tresor
#                     only (bench/restore_large_bench.py; about 4 min, 25 GB
#                     of disk), in restore-large.*
#   make bench-unseal the unseal bench alone (about 1 min)
#   make bench-observability
#                     the metrics and audit cost bench alone (about 4 min)
#   make bench-dr     the DR replication bench alone (lag at 1,000 writes/s,
#                     promotion, resync; about 3 min)
#   make bench-snapshot-auto
#                     automated snapshots to a directory and to s3rver
#                     (snapshot time and MB/s; about 3 min)
#   make bench-snapshot-large
#                     the snapshot bench alone with 1M entries (about 1 GiB;
#                     outside make bench's budget), in snapshot-large.*
#   make chaos        the chaos scenarios (tests/chaos/chaos.py): crash,
#                     asymmetric and symmetric partition, latency, disk full
#                     and fsync failure on 3 and 5 nodes, 10 trials each, with
#                     lost-write and linearizability checks; prints the table
#                     and writes chaos.{json,md} to $(BENCH_RESULTS). Needs
#                     root (iptables, mount); CHAOS_ARGS passes options, e.g.
#                     CHAOS_ARGS="--trials 3 --scenarios crash --nodes 3"
#
# Each script writes bench/results/<name>.{json,md} and regenerates
# docs/performance.md from every results file (bench/render_performance.py).
# scripts/install-bench-deps installs the peers (etcd 3.4, PostgreSQL 15,
# nginx, perf) if missing. BENCH_BUILD=dir builds and runs from another
# directory; BENCH_RESULTS=dir and BENCH_DOC=file write the results and the
# document elsewhere (a trial run that leaves the committed ones alone).

# Release at -O2, not CMake's -O3: at -O3 GCC 12 stops the build with a false
# -Wrestrict in std::string code inlined into src/common/hcl_parser.cc.
BENCH_BUILD ?= build-bench
PYTHON ?= python3
BENCH_RESULTS ?= bench/results
BENCH_DOC ?= docs/performance.md
BENCH_ARGS = --build-dir $(BENCH_BUILD) --results-dir $(BENCH_RESULTS) --doc $(BENCH_DOC)

.PHONY: bench bench-quick bench-build bench-deps bench-snapshot-large bench-restore-large \
  bench-unseal bench-dr bench-snapshot-auto bench-observability bench-ha

bench-build:
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
	cmake --build $(BENCH_BUILD) --target tresor tresor-loadgen -j2

bench-deps:
	scripts/install-bench-deps

BENCH_SCRIPTS = compare_bench raft_bench snapshot_bench startup_bench scale_bench unseal_bench \
  dr_bench snapshot_auto_bench profile_bench observability_bench ha_failover_bench

bench: bench-build bench-deps
	set -e; for script in $(BENCH_SCRIPTS); do \
	  $(PYTHON) bench/$$script.py $(BENCH_ARGS) --command "make bench"; \
	done

bench-quick: bench-build bench-deps
	set -e; for script in $(BENCH_SCRIPTS); do \
	  $(PYTHON) bench/$$script.py $(BENCH_ARGS) --quick --command "make bench-quick"; \
	done

bench-snapshot-large: bench-build bench-deps
	$(PYTHON) bench/snapshot_bench.py $(BENCH_ARGS) --large \
	  --command "make bench-snapshot-large"

bench-unseal: bench-build
	$(PYTHON) bench/unseal_bench.py $(BENCH_ARGS) --command "make bench-unseal"

bench-dr: bench-build
	$(PYTHON) bench/dr_bench.py $(BENCH_ARGS) --command "make bench-dr"

bench-snapshot-auto: bench-build
	$(PYTHON) bench/snapshot_auto_bench.py $(BENCH_ARGS) --command "make bench-snapshot-auto"

bench-observability: bench-build
	$(PYTHON) bench/observability_bench.py $(BENCH_ARGS) --command "make bench-observability"

bench-ha: bench-build
	$(PYTHON) bench/ha_failover_bench.py $(BENCH_ARGS) --command "make bench-ha"

bench-restore-large: bench-build
	$(PYTHON) bench/restore_large_bench.py $(BENCH_ARGS) --command "make bench-restore-large"

.PHONY: chaos
CHAOS_ARGS ?=
chaos: bench-build
	scripts/install-chaos-deps
	TRESOR_BINARY=$(BENCH_BUILD)/tresor $(PYTHON) tests/chaos/chaos.py --out $(BENCH_RESULTS) \
	  --command "make chaos CHAOS_ARGS='$(CHAOS_ARGS)'" $(CHAOS_ARGS)

# Fuzzing (docs/fuzzing.md): libFuzzer targets built with clang in
# build-fuzz by scripts/fuzz.
#   make fuzz      every target for FUZZ_SECONDS (default 600) each
#   make fuzz-ci   the targets CI fuzzes, FUZZ_CI_SECONDS (default 12) each
# New corpus entries go to FUZZ_SCRATCH (default /tmp/tresor-fuzz), crashes
# to fuzz/crashes/. FUZZ_TARGETS="hcl policy" picks targets.
FUZZ_SECONDS ?= 600
FUZZ_CI_SECONDS ?= 12
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-ci

fuzz:
	scripts/fuzz --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-ci:
	scripts/fuzz --ci --seconds $(FUZZ_CI_SECONDS) $(FUZZ_TARGETS)
