// A mambahw run configuration: model shape, quantization scheme, the schemes
// the conv-output study compares, and run settings. Loaded from YAML
// (configs/*.yaml, format in docs/configs.md) with strict validation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/config/error.hpp"
#include "mambahw/studies/run_settings.hpp"

namespace mambahw {

struct Config {
  std::string file;
  ModelShape model;
  QuantScheme scheme;               // the scheme the accelerator runs
  std::vector<QuantScheme> study;   // schemes the conv-output study compares
  RunSettings run;
  HardwareConfig hardware;          // defaults unless a `hardware:` section is given
};

// Loads and validates a run configuration (and checks its memory budget).
Config load_config(const std::filesystem::path& file);

// The peak memory a run of `c` would need, estimated from the shapes before
// any work (docs/configs.md, "Memory budget"): the larger of the conv-output
// study (FP32 and INT8 copies of the conv channels for every evaluated and
// calibration token) and the golden layer (every program tensor for every
// token, all SSM-input modes, the FP32 master weights).
struct MemoryEstimate {
  double bytes = 0;
  std::string dominant;  // the fields that set the larger phase, e.g. "run.seq_len, model shape"
};
MemoryEstimate estimate_run_memory(const Config& c);
// Throws ConfigError naming the estimate, the budget and the fields when the
// estimate exceeds run.memory_budget_mib. Call again after overriding run
// settings (e.g. from the command line).
void check_memory_budget(const Config& c);

}  // namespace mambahw
