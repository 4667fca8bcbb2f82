#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "commands.hpp"
#include "mambahw/config/yaml_reader.hpp"
#include "mambahw/golden/threads.hpp"

namespace mambahw::cli {

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    fmt::print(stderr, "mambahw: config error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mambahw {}: error: {}\n", command, e.what());
    return 1;
  }
}

void LayerKeeper::observe(const QuantizedLayer& q, const FloatTensor& input, int layer, std::optional<SsmInputMode> mode,
                          const LayerTrace& trace) {
  if (layer != 0) return;
  if (!have_) {
    q_ = q;
    input_ = input;
    have_ = true;
  }
  if (mode == mode_) golden_ = trace;
  shared_ = SharedLayer{&q_, &input_, golden_ ? &*golden_ : nullptr};
}

CLI::Option* add_threads_option(CLI::App& cmd, int& threads) {
  return cmd
      .add_option("--threads", threads,
                  "Threads of the golden model's kernels (0: all cores, or OMP_NUM_THREADS when set); the results are "
                  "bit-identical for any count")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
}

void use_threads(int threads) {
  // 0 leaves OpenMP's default: every core, unless OMP_NUM_THREADS says otherwise.
  if (threads > 0) set_threads(threads);
}

}  // namespace mambahw::cli
