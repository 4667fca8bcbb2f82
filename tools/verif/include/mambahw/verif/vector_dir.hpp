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

// `export --block all`: one subdirectory per block under `dir`, and a
// top-level manifest.json (format mambahw-vector-set) written last, listing
// every block directory with the SHA-256 of its manifest and every skipped
// block with the reason. prepare_set_directory creates `dir` or, under
// `force`, removes an earlier set there (its manifest first); it refuses a
// directory holding anything else.
void prepare_set_directory(const std::filesystem::path& dir, bool force);
struct SkippedBlock {
  std::string block, reason;
};
void write_set_manifest(const std::filesystem::path& dir, const std::vector<std::string>& blocks,
                        const std::vector<SkippedBlock>& skipped, const nlohmann::json& config_embed);

struct VerifyReport {
  std::string dir;                    // the directory verified
  std::vector<std::string> problems;  // empty: the directory verifies (blocks' problems are in `blocks`)
  std::uint64_t vectors = 0;
  std::uint64_t mismatches = 0;
  bool replayed = false;              // the expected words were recomputed by the golden model
  std::string producer;               // "mambahw <version> (git <commit>)" from the manifest
  std::vector<std::string> warnings;  // worth knowing, not a failure
  std::vector<VerifyReport> blocks;   // a vector set: one report per block directory, in manifest order
  bool ok() const;                    // no problem here nor in any block
};
// Checks every file against the manifest (plain files inside the directory
// only; presence, size, SHA-256, word count, width, well-formed hex, no
// extra files), the manifest against itself and its files (vector and class
// counts, equal word counts on every port, the registers in the memory
// images, README.md, classes.txt and tb_params.svh regenerated from the
// manifest, the stimulus regenerated from the block's generators, seed and
// counts), then replays the stimulus through the golden model and compares
// every expected word. Never throws: every problem is a line naming the
// file and the check. A vector set (export --block all) verifies each block
// directory it lists, and that the set is complete.
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
