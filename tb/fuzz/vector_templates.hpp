// Small exported vector directories of the blocks, built from explicit
// parameters (no config, no calibration): what the vector-directory fuzz
// targets mutate and verify, and what their seeds are made of.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mambahw::fuzz {

// The blocks exported, one subdirectory of `root` each (named by the block).
const std::vector<std::string>& template_blocks();
// Exports every template block under `root` (a few dozen vectors each).
void export_templates(const std::filesystem::path& root);

}  // namespace mambahw::fuzz
