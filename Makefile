# mambahw: the two commands a fresh Debian 12 machine needs.
#   make demo   build, then run `mambahw run` on configs/default.yaml
#   make test   build, then run every default test (ctest -LE "exhaustive|long")
# Both first install missing Debian packages (as root) or list them (otherwise).

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test test-long exhaustive bench bench-table clean coverage sanitize fuzz fuzz-long

all: build

deps:
	@./tools/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/tools/mambahw run configs/default.yaml

test: build
	cd $(BUILD) && ctest -LE "exhaustive|long" -j $(JOBS) --output-on-failure

# Variants of default tests with other blocks, configurations or simulators (docs/testplan.md).
test-long: build
	cd $(BUILD) && ctest -L long -j $(JOBS) --output-on-failure

exhaustive: build
	cd $(BUILD) && ctest -L exhaustive -j $(JOBS) --output-on-failure

bench: build
	./$(BUILD)/bench/bench_golden
	./$(BUILD)/bench/bench_layer
	./$(BUILD)/bench/bench_model --benchmark_filter=CosimMamba1Layer  # SystemC elaborates once per process
	./$(BUILD)/bench/bench_model --benchmark_filter=CosimMamba2Layer
	./$(BUILD)/bench/bench_rtl
	./$(BUILD)/bench/bench_tensors
	./$(BUILD)/bench/bench_ops

# The README's kernel table (bench_ops, one core and all cores), regenerated
# in place between its bench_ops markers; run on a quiet machine.
bench-table: build
	python3 bench/bench_table.py --bench $(BUILD)/bench/bench_ops --readme README.md

clean:
	rm -rf $(BUILD) $(BUILD)-sanitize $(BUILD)-fuzz

# AddressSanitizer + UBSan (+ LeakSanitizer) build of golden, config, cost,
# verif, tensors, the CLI and their tests, in $(BUILD)-sanitize; runs the
# default tests of those areas (docs/fuzzing.md gives the last result).
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize: deps
	cmake -S . -B $(BUILD)-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAMBAHW_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-sanitize -j $(JOBS) --target sanitize_targets
	cd $(BUILD)-sanitize && $(SANITIZE_ENV) ctest -LE "exhaustive|long" -j $(JOBS) --output-on-failure

# libFuzzer build (clang, ASan + UBSan) in $(BUILD)-fuzz: every fuzz target
# for FUZZ_SECONDS (default 60) with coverage feedback. `make fuzz-long`:
# FUZZ_SECONDS=1800 per target, the run docs/fuzzing.md reports.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
	  -DCMAKE_CXX_COMPILER=clang++-14 -DMAMBAHW_FUZZ=ON -DMAMBAHW_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_FLAGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_targets
	cd $(BUILD)-fuzz && ctest -L fuzz --output-on-failure
fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=1800

# Verilator line + toggle coverage of the RTL from the default RTL suite:
# prints the total and writes build/rtl_coverage/ (annotated sources, lcov
# .info and, when genhtml is installed, HTML).
coverage: build
	rm -rf $(BUILD)/rtl_coverage && mkdir -p $(BUILD)/rtl_coverage
	MAMBAHW_COVERAGE_DIR=$(abspath $(BUILD))/rtl_coverage ./$(BUILD)/tb/rtl/test_rtl > $(BUILD)/rtl_coverage/test.log
	verilator_coverage --write $(BUILD)/rtl_coverage/merged.dat $(BUILD)/rtl_coverage/coverage_*.dat
	verilator_coverage --annotate $(BUILD)/rtl_coverage/annotated --annotate-min 1 $(BUILD)/rtl_coverage/merged.dat
	verilator_coverage --write-info $(BUILD)/rtl_coverage/rtl.info $(BUILD)/rtl_coverage/merged.dat
	if command -v genhtml >/dev/null; then genhtml -q -o $(BUILD)/rtl_coverage/html $(BUILD)/rtl_coverage/rtl.info; fi
