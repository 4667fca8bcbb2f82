// The schedules side by side and the accuracy band (docs/architecture.md,
// "Schedules" and "Accuracy band"): what one schedule's run leaves for the
// report, as JSON (the form in which a run of the other schedule, in a
// process of its own, hands it back), the side-by-side tables, the bands,
// and the process that runs the other schedule.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/report/report.hpp"

namespace mambahw::cli {

// What the side-by-side report and the bands need of one schedule's run.
struct ScheduleSummary {
  std::string schedule;
  bool ran = false;
  std::string error;                 // why it did not run (ran false)
  std::int64_t mismatches = 0;       // its tensors against golden's
  std::int64_t cycles = 0, producer_wait = 0;
  std::int64_t layer0_cycles = 0;    // layer 0's prefill (the pass the ops below are of)
  int layers = 1, batch = 1, seq_len = 0;
  double latency_ns = 0, energy_pj = 0;
  std::int64_t dram_read = 0, dram_write = 0;  // the prefill's, every layer, the host's input writes included
  std::int64_t host_input_bytes = 0;           // of which the host wrote (the layers' inputs)
  std::vector<std::string> on_chip;            // the intermediates the fusion buffer held
  struct Op {
    std::string name, unit;
    std::int64_t start = 0, cycles = 0, busy = 0;
    std::array<std::int64_t, cost::kNumStalls> stalls{};
    std::int64_t gemm_dram_bytes = -1;  // a GEMM's bytes under its mapping (-1: not a GEMM)
  };
  std::vector<Op> ops;               // layer 0's prefill
  int steps = 0;
  std::int64_t decode_cycles = 0;
  double decode_latency_ns = 0, decode_pj_per_token = 0;
  std::int64_t decode_dram_read = 0, decode_dram_write = 0;
};
void to_json(nlohmann::json& j, const ScheduleSummary& s);
void from_json(const nlohmann::json& j, ScheduleSummary& s);

// Both schedules: per op (start and cycles) and the totals. `other` not run:
// the totals hold the configured one's row only and its error is kept
// beside them. The whole model's decode tokens/s: a step's simulated layers
// scaled to n_layer, plus `head_ns_per_step` (the LM head, analytic; 0 without it).
report::Node schedules_report(int n_layer, double head_ns_per_step, const ScheduleSummary& configured,
                              const ScheduleSummary& other);

// The serial band: each op's cycles against its roofline bound, the causes of
// every gap over 5% (`roof`: the program's roofline over the run's tokens).
report::Node serial_band_report(const cost::Roofline& roof, const ScheduleSummary& serial, double bytes_per_cycle);

// The pipelined band: each unit's busy cycles and its ops' end against its
// compute bound (its ops' roofline compute cycles), the DRAM channel's bytes
// against every tensor once but those the fusion buffer held, and the
// layer's cycles against the larger of the two, with the causes of every gap
// over 5% as the model counted them.
report::Node pipelined_band_report(const LayerProgram& program, const cost::Roofline& roof,
                                   const ScheduleSummary& pipe, double bytes_per_cycle);

// `mambahw run` with the same config and inputs under the other
// hardware.schedule, in a process of its own (SystemC elaborates once per
// process): this executable (/proc/self/exe) spawned with `args` (its `run`
// arguments) and `--schedule-summary FILE` in a fresh temporary directory;
// its output goes to a log there. Nothing here forks a running process: the
// child is exec'd at once (posix_spawn), so no thread state is inherited.
class OtherScheduleRun {
 public:
  // Starts it; a failure to start is kept (finish() reports it).
  OtherScheduleRun(std::string schedule, std::vector<std::string> args);
  ~OtherScheduleRun();  // a run not finished is ended (its pid only) and reaped; the directory removed
  OtherScheduleRun(const OtherScheduleRun&) = delete;
  OtherScheduleRun& operator=(const OtherScheduleRun&) = delete;
  // Waits for it and reads its summary: ran, or ran false with why not.
  ScheduleSummary finish();

 private:
  std::string schedule_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string error_;
};

}  // namespace mambahw::cli
