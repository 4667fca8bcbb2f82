// Layer-level vectors: every tensor of one quantized layer (docs/vectors.md
// §Layer-level vectors), for checking a full datapath simulation.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::verif {

struct LayerExportOptions {
  std::filesystem::path out;
  bool force = false;
  int layer = 0;                // which layer's synthetic weights
  int seq_len = 0;              // tokens; 0: the config's run.seq_len
  nlohmann::json config_embed;  // the config as the manifest records it (path, SHA-256 of its files, ...)
};

// Calibrates layer `layer` of the config's model under its scheme as `mambahw
// run` does (make_layer_case), runs it in the accelerator's SSM-input mode and
// writes every tensor, weight memory and register, then manifest.json last.
// Summary: words written per tensor.
ExportSummary export_layer(const Config& c, const LayerExportOptions& o);

}  // namespace mambahw::verif
