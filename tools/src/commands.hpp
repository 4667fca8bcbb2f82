// Subcommands of the mambahw CLI. Each registers its options on a CLI11 app
// and returns the process exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace mambahw::cli {

// Where a config path given relative to the working directory is looked up
// when it does not exist there: the source tree's configs/.
std::filesystem::path resolve_config(const std::string& path);

struct RunOptions {
  std::string config = "configs/default.yaml";
  std::string json_file;
  std::optional<int> seq_len;
  std::optional<std::uint64_t> seed;
};
void add_run_command(CLI::App& app, RunOptions& opts, int& exit_code);
int run_command(const RunOptions& opts);

}  // namespace mambahw::cli
