// Subcommands of the mambahw CLI. Each add_*_command registers a subcommand
// (options and callback) on the app; the callback stores the exit code.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/report/report.hpp"

#include "mambahw/config/config.hpp"
#include "mambahw/cost/events.hpp"
#include "mambahw/cost/tech_table.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/layer_program.hpp"

// CLI11 is header-only and costs seconds per translation unit that includes
// it; the files that register options include <CLI/CLI.hpp> themselves.
namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace mambahw::cli {

// A config path given relative to the working directory that does not exist
// there is looked up in the source tree (so `mambahw run configs/x.yaml`
// works from any directory).
std::filesystem::path resolve_config(const std::string& path);

// Runs a command body: a ConfigError prints "mambahw: config error: ..." and
// gives exit status 2, any other exception "mambahw COMMAND: error: ..." and 1.
int guarded(const char* command, const std::function<int()>& body);

// `--threads N` of the commands that run the golden model: its kernels' thread
// count (golden/threads.hpp). 0, the default, is every core (or
// OMP_NUM_THREADS when set). Results are bit-identical for any count.
CLI::Option* add_threads_option(CLI::App& cmd, int& threads);
void use_threads(int threads);

void add_run_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);  // export + verify-vectors
void add_compare_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);  // diff_command.cpp
// The manifest header of `mambahw run --dump` (tool, version, config, model, scheme, sources).
nlohmann::json dump_header(const Config& c);  // diff_command.cpp
void add_units_command(CLI::App& app, int& exit_code);

// The SystemC model part of `mambahw run`. SystemC needs an sc_main, so it is
// linked only into the mambahw executable, which registers it; without it
// (tests of the CLI library) `run` reports the golden model only.
struct ModelOutcome {
  report::Node tree;    // merged into the run's report (bit_exact, cycles, latency_ns, events, model, cost)
  bool bit_exact = true;
  std::string failure;  // the first mismatch, if any
};
// What the run already computed for layer 0, so the co-simulation computes
// nothing twice: the calibrated layer and its input, and the golden layer's
// trace in the accelerator's SSM-input mode when the run evaluated that mode.
struct SharedLayer {
  const QuantizedLayer* q = nullptr;
  const FloatTensor* input = nullptr;
  const LayerTrace* golden = nullptr;  // may be null: the co-simulation runs the golden layer itself
};
// Keeps what the co-simulation can share from the accuracy report's traces
// (a TraceObserver's calls): layer 0's calibrated layer and input, and its
// trace in the accelerator's mode.
class LayerKeeper {
 public:
  explicit LayerKeeper(SsmInputMode accelerator) : mode_(accelerator) {}
  void observe(const QuantizedLayer& q, const FloatTensor& input, int layer, std::optional<SsmInputMode> mode,
               const LayerTrace& trace);
  const SharedLayer* shared() const { return have_ ? &shared_ : nullptr; }

 private:
  SsmInputMode mode_;
  bool have_ = false;
  QuantizedLayer q_;
  FloatTensor input_;
  std::optional<LayerTrace> golden_;
  SharedLayer shared_;
};
// The other hardware.schedule (docs/architecture.md, "Schedules"): `run`
// reports both schedules side by side, the other one from a run of this
// executable in a process of its own (SystemC elaborates once per process).
struct ModelRunOptions {
  bool other_schedule = false;          // start that run and report both
  std::vector<std::string> other_args;  // its `run` arguments: the config and the command line's overrides
  std::string no_other_reason = "not asked for";  // what the report says when other_schedule is false
  // This process is that run: write its summary (schedules.hpp) as JSON to
  // this file and print nothing; it starts no run of its own.
  std::string summary_file;
};
using ModelRunner = std::function<ModelOutcome(const Config&, const std::vector<std::string>& tech_files,
                                               const SharedLayer* shared, const ModelRunOptions& options)>;
void set_model_runner(ModelRunner runner);
ModelRunner& model_runner();  // the registered one (empty without the SystemC model)
void add_sweep_command(CLI::App& app, int& exit_code);  // sweep_command.cpp
// Energy by category, area by unit and the scale index under both bases, for
// the events of one layer pass priced by `t` (cost_report.cpp).
// `time_ns`: the pass's simulated (or roofline) time, over which leakage is integrated.
report::Node cost_report(const Config& c, const LayerProgram& program, const cost::EventCounts& events, double time_ns,
                         const TechTable& t);
report::Table index_bases(const Config& c, const TechTable& t);
// `shared` null: the layer case is built from the config (model_report.cpp).
ModelOutcome run_model_report(const Config& c, const std::vector<std::string>& tech_files, const SharedLayer* shared,
                              const ModelRunOptions& options);

}  // namespace mambahw::cli
