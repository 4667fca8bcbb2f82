// mambahw: bit-accurate golden model, RTL checks and cost model of a quantized
// Mamba accelerator. See README.md for the commands.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "commands.hpp"
#include "mambahw/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"mambahw: golden model, RTL checks and cost model of a quantized Mamba accelerator"};
  app.set_version_flag("--version", std::string("mambahw ") + mambahw::kVersion + " (git " +
                                        mambahw::kGitCommit + ")");
  app.require_subcommand(1);
  int exit_code = 0;
  // One line per subcommand.
  mambahw::cli::add_run_command(app, exit_code);
  mambahw::cli::add_export_command(app, exit_code);
  mambahw::cli::add_compare_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
