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
  std::vector<std::string> files;   // file, then every file it includes (what the config's contents are)
  ModelShape model;
  QuantScheme scheme;               // the scheme the accelerator runs
  std::vector<QuantScheme> study;   // schemes the conv-output study compares
  RunSettings run;
  HardwareConfig hardware;          // defaults unless a `hardware:` section is given
};

Config load_config(const std::filesystem::path& file);

}  // namespace mambahw
