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

// Where the golden layer report's weights come from (`weights:`).
struct WeightsConfig {
  bool tensors = false;       // source: synthetic (default) | tensors
  std::string path;           // a tensor file or folder, resolved against the config file's folder
  std::string layer_prefix;   // tensor-name prefix of layer i, "{layer}" standing for i; empty: detect
  bool static_scales = true;  // use a quantized checkpoint's own static scales (else calibrate)
};

// Where its activations come from (`activations:`): the mixer's input hidden
// states of the evaluated run and of the calibration batches.
struct ActivationsConfig {
  bool tensors = false;                  // source: synthetic (default) | tensors
  std::string path;
  std::string input = "input";           // tensor [L][d_model] or [1][L][d_model]
  std::string calibration = "calibration";  // tensor [batches][L][d_model] or [L][d_model]
};

struct Config {
  std::string file;
  std::vector<std::string> files;   // file, then every file it includes (what the config's contents are)
  ModelShape model;
  QuantScheme scheme;               // the scheme the accelerator runs
  std::vector<QuantScheme> study;   // schemes the conv-output study compares
  RunSettings run;
  HardwareConfig hardware;          // defaults unless a `hardware:` section is given
  WeightsConfig weights;
  ActivationsConfig activations;
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
