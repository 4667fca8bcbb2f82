// Golden model + SystemC accelerator model + Verilated RTL on one layer: the
// run `mambahw run` reports. The conv unit's quantize hook streams each
// channel tile through the Verilated conv_out_quantizer, the SSM core's
// dequant hook streams the RTL codes through the Verilated ssm_dequant, and
// the layer is then finished from the RTL's SSM input. Every tensor is
// compared bit for bit with the golden model's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/golden/layer.hpp"
#include "mambahw/model/accelerator.hpp"

namespace mambahw::model {

struct TensorCheck {
  std::string tensor;          // conv_out_codes, conv_out_dual_words, ssm_input, ssm_output, layer_output
  std::string source;          // what produced the compared copy: the RTL variant, or kGoldenFromRtl
  std::int64_t compared = 0, mismatches = 0;
  std::string first_mismatch;  // "channel c, token t: golden 0x... model 0x..."
  // True when that producer is independent of the golden model (the RTL);
  // false for the golden layer rerun from the RTL's SSM input, which shows
  // only that the RTL's values propagate (the SystemC units compute no
  // values of their own yet).
  bool independent = true;
};

inline constexpr const char* kGoldenFromRtl = "golden_from_rtl_ssm_input";

struct CosimReport {
  LayerReport timing;
  SsmInputMode mode = SsmInputMode::kInt8;
  bool rtl_in_loop = false;
  std::string rtl_note;  // why the RTL is not in the loop, if it is not
  std::string quantizer_variant, dequant_variant;
  Cycles quantizer_rtl_cycles = 0, dequant_rtl_cycles = 0;
  std::int64_t quantizer_rtl_elements = 0, dequant_rtl_elements = 0;
  std::vector<TensorCheck> checks;
  bool bit_exact() const;
  std::int64_t mismatches() const;
  int independent_checks() const;  // checks whose producer is not the golden model
};

struct CosimOptions {
  // Test hook: use this Verilated quantizer variant even if it implements
  // another policy than the scheme's (the negative control of the checks).
  std::string force_quantizer_variant;
};

// Runs the calibrated layer `q` on `input` ([L][d_model]) on the system.
// SystemC elaborates once per process: call this once.
CosimReport run_cosim(const System& sys, const QuantizedLayer& q, const FloatTensor& input,
                      const CosimOptions& opt = {});

}  // namespace mambahw::model
