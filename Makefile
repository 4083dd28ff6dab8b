# Benchmarks. The build and the tests are run with cmake and scripts/ (see
# README.md); this Makefile only adds the benchmark targets.
#
#   make bench        Release build in build-bench, then bench/raft_bench.py
#                     (10 s per load run, 10 failover trials; < 15 min)
#   make bench-quick  the same with 3 s runs and 3 trials (< 3 min)
#
# Both rewrite bench/results/raft.json, bench/results/raft.md and
# docs/performance.md. BENCH_BUILD=dir builds and runs from another directory.

# Release at -O2, not CMake's -O3: at -O3 GCC 12 stops the build with a false
# -Wrestrict in std::string code inlined into src/common/hcl_parser.cc.
BENCH_BUILD ?= build-bench
PYTHON ?= python3

.PHONY: bench bench-quick bench-build

bench-build:
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
	cmake --build $(BENCH_BUILD) --target tresor tresor-loadgen -j2

bench: bench-build
	$(PYTHON) bench/raft_bench.py --build-dir $(BENCH_BUILD) --command "make bench"

bench-quick: bench-build
	$(PYTHON) bench/raft_bench.py --build-dir $(BENCH_BUILD) --quick --command "make bench-quick"
