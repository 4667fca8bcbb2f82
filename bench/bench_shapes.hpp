// Model shapes for the benchmarks, read from configs/models/ (the one place
// the shapes are defined).
#pragma once

#include <filesystem>
#include <string>

#include "mambahw/config/parse.hpp"

namespace mambahw::bench {

inline ModelShape model_shape(const std::string& name) {
  YamlMap m = YamlMap::load_file(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs/models" / (name + ".yaml"));
  return parse_model(m);
}

}  // namespace mambahw::bench
