# mambahw: the two commands a fresh Debian 12 machine needs.
#   make demo   build, then run `mambahw run` on configs/default.yaml
#   make test   build, then run every default test (ctest -LE exhaustive)
# Both first install missing Debian packages (as root) or list them (otherwise).

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test exhaustive bench clean coverage

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
	cd $(BUILD) && ctest -LE exhaustive -j $(JOBS) --output-on-failure

exhaustive: build
	cd $(BUILD) && ctest -L exhaustive -j $(JOBS) --output-on-failure

bench: build
	./$(BUILD)/bench/bench_golden
	./$(BUILD)/bench/bench_layer
	./$(BUILD)/bench/bench_model --benchmark_filter=Mamba1  # SystemC elaborates once per process
	./$(BUILD)/bench/bench_model --benchmark_filter=Mamba2
	./$(BUILD)/bench/bench_rtl
	./$(BUILD)/bench/bench_tensors

clean:
	rm -rf $(BUILD)

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
