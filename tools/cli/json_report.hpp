// JSON forms of the reports, for scripts (schemas in README.md).
#pragma once

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace mambahw::cli {

nlohmann::json to_json(const NumericsPolicy& p);
nlohmann::json to_json(const ConvOutStudy& s);
nlohmann::json to_json(const LayerAccuracy& a);
// +-Inf and NaN are not JSON: they become null.
nlohmann::json number(double v);
// Writes `j` to `path` through a temporary file renamed into place.
void write_json_file(const std::string& path, const nlohmann::json& j);
// Writes FILE.tmp and renames it: a reader never sees half a file.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace mambahw::cli
