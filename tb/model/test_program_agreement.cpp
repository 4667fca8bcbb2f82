// The layer program's facts as three producers see them, on a W4A5-SE scheme
// with INT4 weights (mamba2-130m): the golden layer (its quantized weights
// and the tensors it computes), the SystemC accelerator (the GEMM shapes it
// runs, the MACs, lookups and bytes its units count and move) and the
// roofline (its per-op bytes and compute). Each number is produced
// independently: golden by its arrays' sizes, SystemC by its tiles and TLM
// transfers, the roofline by TensorSpec::bytes.
#include <gtest/gtest.h>

#include <filesystem>

#include "mambahw/config/config.hpp"
#include "mambahw/cost/events.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/model/accelerator.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace mambahw::model {
namespace {

using cost::Counter;

// Bytes of a golden trace tensor as the program's format stores it.
std::int64_t golden_bytes(const LayerTrace& tr, const TensorSpec& t) {
  std::size_t n = 0;
  if (auto it = tr.int8.find(t.name); it != tr.int8.end()) n = it->second.size();
  else if (auto w = tr.words.find(t.name); w != tr.words.end()) n = w->second.size();
  else if (auto f = tr.fp.find(t.name); f != tr.fp.end()) n = f->second.size();
  else ADD_FAILURE() << "golden trace has no tensor " << t.name;
  return (static_cast<std::int64_t>(n) * t.element_bits + 7) / 8;
}

TEST(ProgramAgreement, GoldenSystemCAndRooflineOnW4a5seInt4) {
  Config c = load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs/mamba2-130m-w4a5-se.yaml");
  c.scheme.layer.weights = WeightPrecision::kInt4;
  c.scheme.layer.weight_group = 128;
  c.run.seq_len = 24;
  const int L = c.run.seq_len;
  const LayerCase lc = make_layer_case(c.model, c.scheme, SyntheticWeights(c.run.seed), c.run, 0);
  const LayerProgram& p = lc.q.program;
  const LayerTrace golden = run_layer(lc.q, lc.input, SsmInputMode::kDualScale);
  static System sys{c.model, c.scheme, c.hardware};
  const LayerReport sc = simulate_layer(sys, p, L, lc.q.conv_out.table, {});
  const cost::Roofline roof = cost::roofline(p, c.hardware, L);

  // MAC precision: golden's weights are INT4; the model ran every GEMM with
  // 4-bit weights and counted INT4 MACs only; the roofline used the INT4 rate.
  const QuantWeights* weights[] = {&lc.q.in_proj, &lc.q.out_proj};
  for (const QuantWeights* w : weights) EXPECT_EQ(w->precision, WeightPrecision::kInt4);
  ASSERT_EQ(sc.gemms.size(), 2u);
  std::int64_t macs = 0;
  for (const GemmRun& g : sc.gemms) {
    EXPECT_EQ(g.shape.weight_bits, 4) << g.op;
    macs += g.shape.m * g.shape.k * g.shape.n;
  }
  EXPECT_EQ(sc.events.at(Unit::kGemmArray)[Counter::kMacInt8], 0);
  EXPECT_EQ(sc.events.at(Unit::kGemmArray)[Counter::kMacInt4], macs);
  const double int4_rate = static_cast<double>(c.hardware.gemm.rows) * c.hardware.gemm.cols * c.hardware.gemm.int4_macs_per_pe;
  EXPECT_DOUBLE_EQ(roof.ops.front().compute_cycles,
                   static_cast<double>(L) * lc.q.in_proj.in * lc.q.in_proj.out / int4_rate);

  // Lookups: golden holds one static scale per SSM-input channel; the model's
  // lookup unit fetched one per channel in the pass; the program says the same.
  const std::int64_t channels = c.model.ssm_input_channels();
  ASSERT_GE(lc.q.conv_out.int8_scales.size(), static_cast<std::size_t>(channels));
  EXPECT_EQ(sc.events.at(Unit::kScaleIndexLookup)[Counter::kLookup], channels);
  EXPECT_EQ(scale_lookups_per_pass(c.model), channels);

  // Per-tensor bytes: every activation the golden layer computed has the
  // bytes the model wrote for it; every weight tensor the bytes the model
  // read (codes + scales as golden packed them).
  for (const TensorSpec& t : p.tensors) {
    if (t.is_activation()) {
      EXPECT_EQ(golden_bytes(golden, t), sc.dram.at(t.name).write_bytes) << t.name;
    }
  }
  auto golden_weight_bytes = [](const QuantWeights& w) {
    return static_cast<std::int64_t>(w.packed.size() + 4 * w.scales.size());
  };
  EXPECT_EQ(sc.dram.at("w_in_proj").read_bytes, golden_weight_bytes(lc.q.in_proj));
  EXPECT_EQ(sc.dram.at("w_out_proj").read_bytes, golden_weight_bytes(lc.q.out_proj));
  // The roofline's bytes per op are the model's: what it wrote for the op's
  // activations (each written once) and what it read of its weights.
  ASSERT_EQ(roof.ops.size(), p.ops.size());
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    const OpSpec& op = p.ops[i];
    std::int64_t bytes = 0;
    for (const auto* names : {&op.inputs, &op.outputs})
      for (const std::string& t : *names) bytes += sc.dram.at(t).write_bytes;
    for (const std::string& w : op.weights) bytes += sc.dram.at(w).read_bytes;
    EXPECT_DOUBLE_EQ(roof.ops[i].bytes, static_cast<double>(bytes)) << op.name;
  }

  // The compute counters the units produced equal the program's work.
  const cost::EventCounts want = cost::program_events(p, L);
  for (std::size_t u = 0; u < kNumUnits; ++u)
    for (std::size_t k = 0; k < cost::kNumCounters; ++k) {
      const auto counter = static_cast<Counter>(k);
      if (counter == Counter::kDramReadBytes || counter == Counter::kDramWriteBytes ||
          counter == Counter::kRegisterBits || counter == Counter::kArrayWeightBits ||
          counter == Counter::kArrayOperandBits || counter == Counter::kArrayPsumBits)
        continue;  // what only a schedule knows (re-reads, accumulator traffic)
      EXPECT_EQ(sc.events.units[u][counter], want.units[u][counter])
          << to_string(static_cast<Unit>(u)) << " " << to_string(counter);
    }
}

}  // namespace
}  // namespace mambahw::model
