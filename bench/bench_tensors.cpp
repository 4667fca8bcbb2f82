// Tensor-file throughput: a 100 MB safetensors file (the size of a
// mamba-130m-class checkpoint's shard) read and written, and the same data
// as .npz and a folder of .npy. The file is written once to the temporary
// folder and read from the page cache, so this measures the parser and the
// copies, not the disk. Bytes per second count the file's size.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "mambahw/tensors/tensor_file.hpp"

namespace {

using namespace mambahw::tensors;
namespace fs = std::filesystem;

// 100 MB in 25 float32 tensors of 1 M elements (4 MB) each, like a checkpoint's weights.
const TensorMap& data() {
  static const TensorMap m = [] {
    TensorMap t;
    std::vector<float> v(1 << 20);
    for (int i = 0; i < 25; ++i) {
      for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(k % 977) * 0.01f + static_cast<float>(i);
      t.emplace("layers." + std::to_string(i) + ".weight", stored_floats(v, {1024, 1024}));
    }
    return t;
  }();
  return m;
}

fs::path path(const char* name) { return fs::temp_directory_path() / ("mambahw_bench_" + std::to_string(::getpid()) + name); }

void Read(benchmark::State& state, const char* name) {
  const fs::path p = path(name);
  write_tensors(p, data());
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const TensorMap m = read_tensors(p);
    benchmark::DoNotOptimize(m.size());
    bytes += 100 << 20;
  }
  state.SetBytesProcessed(bytes);
  fs::remove_all(p);
}

void Write(benchmark::State& state, const char* name) {
  const fs::path p = path(name);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    write_tensors(p, data());
    bytes += 100 << 20;
  }
  state.SetBytesProcessed(bytes);
  fs::remove_all(p);
}

BENCHMARK_CAPTURE(Read, safetensors, ".safetensors")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Read, npz, ".npz")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Read, npy_folder, "_npy")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Write, safetensors, ".safetensors")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
