// mambahw: bit-accurate golden model, RTL checks and cost model of a quantized
// Mamba accelerator. See README.md for the commands.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "commands.hpp"
#include "mambahw/version.hpp"

namespace {
int run_cli(int argc, char** argv) {
  CLI::App app{"mambahw: golden model, RTL checks and cost model of a quantized Mamba accelerator"};
  app.set_version_flag("--version", std::string("mambahw ") + mambahw::kVersion + " (git " +
                                        mambahw::kGitCommit + ")");
  app.require_subcommand(1);
  int exit_code = 0;
  // One line per subcommand.
  mambahw::cli::add_run_command(app, exit_code);
  mambahw::cli::add_export_command(app, exit_code);
  mambahw::cli::add_compare_command(app, exit_code);
  mambahw::cli::add_diff_command(app, exit_code);
  mambahw::cli::add_units_command(app, exit_code);
  mambahw::cli::add_sweep_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error (unknown option, bad
    // value, value out of range, missing argument) exits 2, like a bad config.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
}  // namespace

#ifdef MAMBAHW_HAVE_MODEL
#include <systemc>

// SystemC's entry point: main() hands over to the kernel, which calls this.
int sc_main(int argc, char** argv) {
  mambahw::cli::set_model_runner(mambahw::cli::run_model_report);
  return run_cli(argc, argv);
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // keep reports clean; SystemC prints a banner otherwise
  return sc_core::sc_elab_and_sim(argc, argv);
}
#else
int main(int argc, char** argv) { return run_cli(argc, argv); }
#endif
