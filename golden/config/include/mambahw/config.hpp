// A mambahw run configuration: model shape, quantization scheme, the schemes
// the conv-output study compares, and run settings. Loaded from YAML
// (configs/*.yaml, format in docs/configs.md) with strict validation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mambahw/hardware_config.hpp"
#include "mambahw/model_shape.hpp"
#include "mambahw/quant_scheme.hpp"
#include "mambahw/yaml_reader.hpp"

namespace mambahw {

struct RunSettings {
  int seq_len = 512;        // tokens per evaluated sequence
  int batch = 1;
  std::uint64_t seed = 1;   // all synthetic weights and activations derive from it
  int calib_batches = 4;    // calibration batches (a separate random stream)
  int calib_seq_len = 512;
  int layers = 1;                       // layers of the golden accuracy report (independent inputs)
  std::vector<int> modes{0, 1, 2, 3};   // SSM-input modes the report runs
};

struct Config {
  std::string file;
  ModelShape model;
  QuantScheme scheme;               // the scheme the accelerator runs
  std::vector<QuantScheme> study;   // schemes the conv-output study compares
  RunSettings run;
  HardwareConfig hardware;          // defaults unless a `hardware:` section is given
};

Config load_config(const std::filesystem::path& file);

// Section parsers, reusable by later sections and tests.
ModelShape parse_model(YamlMap& m);
QuantScheme parse_scheme(YamlMap& s, const ModelShape& model);
RunSettings parse_run(YamlMap& r);
LayerNumerics parse_layer_numerics(YamlMap& l, LayerNumerics defaults);

}  // namespace mambahw
