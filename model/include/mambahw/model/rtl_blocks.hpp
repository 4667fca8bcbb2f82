// The Verilated RTL of the conv-output quantizer, the SSM dequant stage and
// the scale-index lookup, as the accelerator model drives them. Each block is
// a plain C++ Verilated model (rtl/CMakeLists.txt, mambahw_rtl_fast) with its
// own VerilatedContext, driven from inside the calling unit's thread: the
// driver assigns the clock and input ports and evaluates the model once per
// half-cycle with the valid/ready handshake, and returns the cycles the RTL
// took. Cycle for cycle this is the handshake a clocked testbench sees
// (inputs change while the clock is low, the DUT samples them at the rising
// edge, outputs are read in the next low phase), so the counts are exact. It
// takes no SystemC time: the unit folds the cycles into its own timing
// (RtlTile). The quantizer and the dequant stage run as 4 unchanged
// instances behind a co-simulation harness's input registers
// (rtl/harness/*_lanes.sv: 4 elements a cycle, every datapath evaluated once
// a cycle instead of on both half-cycles); run() returns one instance's
// cycles for the tile, its elements plus the latency and bubbles the harness
// measured, the harness's own register excluded (RtlHarness.* checks n + 2).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mambahw/model/stats.hpp"
#include "mambahw/model/units.hpp"
#include "mambahw/golden/numerics.hpp"

namespace mambahw::model {

// Which Verilated variant implements a policy; empty if none does (the reason
// is written to *why).
std::optional<std::string> quantizer_variant(const NumericsPolicy& p, int dual_code_bits, bool symmetric,
                                             std::string* why);
std::optional<std::string> dequant_variant(const NumericsPolicy& p, int dual_code_bits, std::string* why);
std::optional<std::string> lookup_variant(const ScaleTableShape& s, LookupImpl impl, std::string* why);

class ConvOutQuantizerRtl {
 public:
  explicit ConvOutQuantizerRtl(const std::string& variant);  // std::invalid_argument for an unknown variant
  ~ConvOutQuantizerRtl();
  // x[i] * inv_scale[i] -> INT8 code[i]; x[i] against the dual-scale registers -> se[i].
  // Returns one instance's clock cycles from the first input to the last output.
  Cycles run(std::span<const float> x, std::span<const float> inv_scale, float se_inv_scale1,
             float se_inv_scale12, std::span<std::uint8_t> code, std::span<std::uint16_t> se);

  struct Dut;  // the Verilated model of the variant

 private:
  std::unique_ptr<Dut> dut_;
};

class SsmDequantRtl {
 public:
  explicit SsmDequantRtl(const std::string& variant);
  ~SsmDequantRtl();
  // mode 0: value[i] = code[i] (INT8) * scale[i]; mode 1: dual-scale word -> value via the MUX.
  Cycles run(bool dual, std::span<const std::uint16_t> code, std::span<const float> scale, float scale1,
             float scale12, std::span<float> value);

  struct Dut;

 private:
  std::unique_ptr<Dut> dut_;
};

// The Verilated scale_index_lookup: the host writes the index SRAM's words
// through its write port (read from the SRAM image, zero-extended to the
// port's 32 bits), then each lookup streams one channel.
class ScaleIndexLookupRtl {
 public:
  explicit ScaleIndexLookupRtl(const std::string& variant);
  ~ScaleIndexLookupRtl();
  // Writes the image's words (once per image). Returns the write cycles.
  Cycles load(std::span<const std::uint8_t> sram, const ScaleTableShape& shape);
  // Loads t.sram if it is not loaded, then looks up t.channel. Returns the cycles of the lookups.
  Cycles run(const LookupTile& t);

  struct Dut;

 private:
  std::unique_ptr<Dut> dut_;
  const std::uint8_t* loaded_ = nullptr;
};

}  // namespace mambahw::model
