# Benchmarks. The build and the tests are run with cmake and scripts/ (see
# README.md); this Makefile only adds the benchmark targets.
#
#   make bench        Release build in build-bench, then bench/raft_bench.py
#                     (10 s per load run, 10 failover trials) and
#                     bench/snapshot_bench.py (100k entries of 1 KiB, Tresor
#                     next to etcd); < 15 min
#   make bench-quick  the same with 3 s runs, 3 trials, 20k entries (< 3 min)
#   make bench-snapshot-large
#                     the snapshot bench alone with 1M entries (about 1 GiB;
#                     outside make bench's budget), in snapshot-large.*
#
# They write bench/results/{raft,snapshot,snapshot-large}.{json,md}, and
# each script regenerates docs/performance.md from every results file
# (bench/render_performance.py). scripts/install-bench-deps installs the
# peers (etcd 3.4) if missing. BENCH_BUILD=dir builds and runs from another
# directory.

# Release at -O2, not CMake's -O3: at -O3 GCC 12 stops the build with a false
# -Wrestrict in std::string code inlined into src/common/hcl_parser.cc.
BENCH_BUILD ?= build-bench
PYTHON ?= python3

.PHONY: bench bench-quick bench-build bench-deps bench-snapshot-large

bench-build:
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
	cmake --build $(BENCH_BUILD) --target tresor tresor-loadgen -j2

bench-deps:
	scripts/install-bench-deps

bench: bench-build bench-deps
	$(PYTHON) bench/raft_bench.py --build-dir $(BENCH_BUILD) --command "make bench"
	$(PYTHON) bench/snapshot_bench.py --build-dir $(BENCH_BUILD) --command "make bench"

bench-quick: bench-build bench-deps
	$(PYTHON) bench/raft_bench.py --build-dir $(BENCH_BUILD) --quick --command "make bench-quick"
	$(PYTHON) bench/snapshot_bench.py --build-dir $(BENCH_BUILD) --quick \
	  --command "make bench-quick"

bench-snapshot-large: bench-build bench-deps
	$(PYTHON) bench/snapshot_bench.py --build-dir $(BENCH_BUILD) --large \
	  --command "make bench-snapshot-large"
