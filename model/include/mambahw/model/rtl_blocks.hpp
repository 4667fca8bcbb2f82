// The Verilated SystemC RTL of the conv-output quantizer and the SSM dequant
// stage, as the accelerator model drives them. Each block has its own clock
// domain: the driver toggles a clock signal with a 1 ps period from inside the
// calling unit's thread, one element per cycle with the valid/ready
// handshake, and returns the cycles the RTL took. The unit folds those cycles
// into its own timing (RtlTile), so the fast clock adds no model time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <systemc>

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

class ConvOutQuantizerRtl : public sc_core::sc_module {
 public:
  ConvOutQuantizerRtl(sc_core::sc_module_name name, const std::string& variant);
  ~ConvOutQuantizerRtl() override;
  // x[i] * inv_scale[i] -> INT8 code[i]; x[i] against the dual-scale registers -> se[i].
  // Call from an SC_THREAD. Returns the clock cycles from the first input to the last output.
  Cycles run(std::span<const float> x, std::span<const float> inv_scale, float se_inv_scale1,
             float se_inv_scale12, std::span<std::uint8_t> code, std::span<std::uint16_t> se);

 private:
  sc_core::sc_signal<bool> clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_;
  sc_core::sc_signal<std::uint32_t> x_, scale_, s1_, s12_, code_o_, se_o_;
  std::unique_ptr<sc_core::sc_module> dut_;
  bool reset_done_ = false;
};

class SsmDequantRtl : public sc_core::sc_module {
 public:
  SsmDequantRtl(sc_core::sc_module_name name, const std::string& variant);
  ~SsmDequantRtl() override;
  // mode 0: value[i] = code[i] (INT8) * scale[i]; mode 1: dual-scale word -> value via the MUX.
  Cycles run(bool dual, std::span<const std::uint16_t> code, std::span<const float> scale, float scale1,
             float scale12, std::span<float> value);

 private:
  sc_core::sc_signal<bool> clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, mode_;
  sc_core::sc_signal<std::uint32_t> code_, scale_, s1_, s12_, value_o_;
  std::unique_ptr<sc_core::sc_module> dut_;
  bool reset_done_ = false;
};

// The Verilated scale_index_lookup: the host writes the index SRAM's words
// through its write port (read from the SRAM image, zero-extended to the
// port's 32 bits), then each lookup streams one channel.
class ScaleIndexLookupRtl : public sc_core::sc_module {
 public:
  ScaleIndexLookupRtl(sc_core::sc_module_name name, const std::string& variant);
  ~ScaleIndexLookupRtl() override;
  // Writes the image's words (once per image). Returns the write cycles.
  Cycles load(std::span<const std::uint8_t> sram, const ScaleTableShape& shape);
  // Loads t.sram if it is not loaded, then looks up t.channel. Returns the cycles of the lookups.
  Cycles run(const LookupTile& t);

 private:
  sc_core::sc_signal<bool> clk_, rst_n_, we_, valid_i_, ready_o_, valid_o_, ready_i_, found_o_;
  sc_core::sc_signal<std::uint32_t> wsel_, waddr_, wdata_, channel_, g_o_, hg_o_, dg_o_, scale_o_;
  std::unique_ptr<sc_core::sc_module> dut_;
  bool reset_done_ = false;
  const std::uint8_t* loaded_ = nullptr;
};

}  // namespace mambahw::model
