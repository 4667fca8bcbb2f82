// The up-front peak-memory estimate of a run, and the budget it must fit
// (docs/configs.md, "Memory budget"). The coefficients are bytes per element
// of the phases that hold most memory. Measured against the peak RSS (GNU
// time) of `mambahw run` on the 2-core development machine after issue 17's
// streamed GEMMs: mamba-130m/Quamba1 at seq_len 2048 with the SystemC model
// 314 MB (estimate 0.99x), mamba2-8b/Quamba2 at seq_len 2048 --no-model
// 1.48 GB (estimate 1.30x; it was 5.4 GB before the GEMMs streamed);
// ConfigTest.MemoryEstimateTracksMeasuredPeaks keeps both within 0.79-1.6x.
// It exists to refuse runs that would need gigabytes before they start, not
// to predict RSS exactly.
#include <algorithm>

#include <fmt/core.h>

#include "mambahw/config/config.hpp"
#include "mambahw/golden/layer_program.hpp"

namespace mambahw {

namespace {
constexpr double kRuntimeBytes = 16.0 * (1 << 20);  // libraries, tables, the process itself
constexpr double kStudyBytesPerChannelToken = 18;   // FP32 conv outputs, INT8 codes and a copy
constexpr double kLayerBytesPerElement = 12;  // the program's tensors of one mode pass and the FP32 reference's
constexpr double kMasterBytesPerWeight = 4;         // FP32 master weights, held for the reference layer
constexpr double kWeightBytesPerByte = 2;           // the quantized image and the transient rotated/unpacked copies
constexpr double kCalibInputBytesPerElement = 4;    // FP32 layer inputs of every calibration batch

// The GEMM weights of one layer (in_proj, out_proj; Mamba1's x_proj, dt_proj).
double gemm_weights(const ModelShape& m) {
  double w = static_cast<double>(m.in_proj_out()) * m.d_model + static_cast<double>(m.d_model) * m.d_inner;
  if (!m.is_mamba2())
    w += static_cast<double>(m.dt_rank + 2 * m.d_state) * m.d_inner + static_cast<double>(m.d_inner) * m.dt_rank;
  return w;
}
}  // namespace

MemoryEstimate estimate_run_memory(const Config& c) {
  const RunSettings& r = c.run;
  const double calib_tokens = static_cast<double>(r.calib_batches) * r.calib_seq_len;
  const double eval_tokens = static_cast<double>(r.batch) * r.seq_len;
  const double study = kStudyBytesPerChannelToken * c.model.conv_channels() * (calib_tokens + eval_tokens);
  const LayerProgram p = layer_program(c.model, c.scheme);
  double per_token = 0, fixed = 0;
  for (const TensorSpec& t : p.tensors) {
    per_token += static_cast<double>(t.per_token);
    fixed += static_cast<double>(t.fixed);
  }
  const double layer = kLayerBytesPerElement * per_token * std::max(r.seq_len, r.calib_seq_len) +
                       kMasterBytesPerWeight * gemm_weights(c.model) + kWeightBytesPerByte * fixed +
                       kCalibInputBytesPerElement * c.model.d_model * calib_tokens;
  MemoryEstimate e;
  e.bytes = kRuntimeBytes + std::max(study, layer);
  e.dominant = study >= layer ? "run.seq_len, run.batch, run.calib_batches, run.calib_seq_len, model.d_inner"
                              : "run.seq_len, run.calib_seq_len, model shape";
  return e;
}

void check_memory_budget(const Config& c) {
  const MemoryEstimate e = estimate_run_memory(c);
  const double budget = static_cast<double>(c.run.memory_budget_mib) * (1 << 20);
  if (e.bytes <= budget) return;
  throw ConfigError(fmt::format(
      "{}: run.memory_budget_mib: the run would need about {:.3g} GiB (estimated from the shapes; set by {}), "
      "more than the budget of {} MiB; reduce those or raise run.memory_budget_mib",
      c.file, e.bytes / (1 << 30), e.dominant, c.run.memory_budget_mib));
}

}  // namespace mambahw
