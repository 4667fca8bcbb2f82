// The golden reports as report trees, and atomic file writes.
#pragma once

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

// The conv-output study and one layer's accuracy as report trees: `run`
// prints them and writes them to JSON ("conv_out_study", "layers").
report::Node study_report(const ConvOutStudy& s);
report::Node layer_report(const LayerAccuracy& a);
// +-Inf and NaN are not JSON: they become null.
nlohmann::json number(double v);
// Writes `j` to `path` through a temporary file renamed into place.
void write_json_file(const std::string& path, const nlohmann::json& j);
// Writes FILE.tmp and renames it: a reader never sees half a file.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace mambahw::cli
