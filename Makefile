# mambahw: the two commands a fresh Debian 12 machine needs.
#   make demo   build, then run `mambahw run` on configs/default.yaml
#   make test   build, then run every default test (ctest -LE exhaustive)
# Both first install missing Debian packages (as root) or list them (otherwise).

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test exhaustive bench clean

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

clean:
	rm -rf $(BUILD)
