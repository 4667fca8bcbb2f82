// Exporting a vector directory and verifying one (docs/vectors.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/verif/blocks.hpp"

namespace mambahw::verif {

struct ExportOptions {
  std::string block;                 // one of kBlockNames
  std::uint64_t seed = 1;
  std::uint64_t count = 100000;      // random vectors
  std::vector<Corner> corners;       // directed classes; empty = all the block supports
  bool random = true;                // include `count` random vectors
  std::filesystem::path out;
  bool force = false;
  bool progress = false;             // print progress to stderr
  nlohmann::json config_embed;       // config files (name, text), embedded in the manifest
  std::string config_path;
};

struct ExportSummary {
  std::uint64_t vectors = 0;
  std::uint64_t bytes = 0;
  nlohmann::json per_class;
};

// Writes the directory: data files via temporary names, README.md, then
// manifest.json last. Refuses a non-empty directory unless force (which only
// clears files an export writes and refuses directories holding anything else).
ExportSummary export_block(const VectorBlock& b, const ExportOptions& o);

// Creates `dir`, or empties an earlier export there under `force`.
void prepare_export_directory(const std::filesystem::path& dir, bool force);

struct VerifyReport {
  std::vector<std::string> problems;  // empty: the directory verifies
  std::uint64_t vectors = 0;
  std::uint64_t mismatches = 0;
  bool replayed = false;              // the expected words were recomputed by the golden model
  std::string producer;               // "mambahw <version> (git <commit>)" from the manifest
  std::vector<std::string> warnings;  // worth knowing, not a failure
};
// Checks every file against the manifest (presence, size, SHA-256, word
// count, width, well-formed hex, no extra files), then replays the stimulus
// through the golden model and compares every expected word.
// Layer vectors are recomputed from the config their manifest names;
// `resolve_config` maps that name to a file (default: as given).
using ConfigResolver = std::function<std::filesystem::path(const std::string&)>;
VerifyReport verify_directory(const std::filesystem::path& dir, const ConfigResolver& resolve_config = {});

// The block of an exported directory, reconstructed from its manifest's
// parameters and memory images (what verify-vectors replays through, and
// what the DPI-C library's mh_block_open serves). Throws on a directory it
// cannot read; it does not check the files' hashes (verify_directory does).
std::unique_ptr<VectorBlock> load_block(const std::filesystem::path& dir);

}  // namespace mambahw::verif
