// The settings of a run (`run:` in a config, overridable on the command line):
// what the studies evaluate and how they calibrate. One struct for the
// conv-output study, the layer accuracy report and the co-simulation.
#pragma once

#include <cstdint>
#include <vector>

#include "mambahw/golden/layer.hpp"

namespace mambahw {

struct RunSettings {
  int seq_len = 512;        // tokens per evaluated sequence
  int batch = 1;            // sequences evaluated (the conv-output study)
  std::uint64_t seed = 1;   // all synthetic weights and activations derive from it
  int calib_batches = 4;    // calibration batches (a separate random stream)
  int calib_seq_len = 512;
  int layers = 1;           // layers of the golden accuracy report (independent inputs)
  int decode = 0;           // decode steps after the seq_len-token prompt (the SystemC model's run)
  std::vector<SsmInputMode> modes{SsmInputMode::kInt8, SsmInputMode::kFp32, SsmInputMode::kFp32OnGrid,
                                  SsmInputMode::kDualScale};  // SSM-input modes the report runs
  std::int64_t memory_budget_mib = 8192;  // a run whose estimated peak memory exceeds this is refused
};

}  // namespace mambahw
