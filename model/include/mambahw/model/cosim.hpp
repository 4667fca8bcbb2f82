// Golden model + SystemC accelerator model + Verilated RTL on one layer: the
// run `mambahw run` reports. The host loads the layer's weights, constants
// and registers (layer_data.hpp); the accelerator's units compute every
// tensor from the bytes in its memories, with the Verilated
// conv_out_quantizer and ssm_dequant in the loop where a variant implements
// the scheme's policy. The golden layer runs once, independently, and every
// tensor the accelerator wrote is compared with golden's bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/golden/layer.hpp"
#include "mambahw/model/accelerator.hpp"

namespace mambahw::model {

struct TensorCheck {
  std::string tensor;          // the layer program's tensor (or ssm_input, the dequant stage's FP32 output)
  std::string op;              // the op that wrote it
  std::string unit;            // the unit that produced it (to_string(Unit))
  std::string source;          // the producer: the Verilated RTL variant, or "systemc" (the unit's C++ model)
  std::string reference;       // the other producer: the golden function whose value it is compared with
  std::int64_t compared = 0, mismatches = 0;
  std::string first_mismatch;  // "channel c, token t: golden 0x..., model 0x..."
};

// The golden producers of the checks.
inline constexpr const char* kGoldenLayer = "golden run_layer";
inline constexpr const char* kGoldenLookup = "golden lookup_scale_index";

inline constexpr const char* kSystemcUnit = "systemc";

struct CosimReport {
  LayerReport timing;
  SsmInputMode mode = SsmInputMode::kInt8;
  bool rtl_in_loop = false;
  std::string rtl_note;  // why the RTL is not in the loop, if it is not
  std::string quantizer_variant, dequant_variant;
  Cycles quantizer_rtl_cycles = 0, dequant_rtl_cycles = 0;
  std::int64_t quantizer_rtl_elements = 0, dequant_rtl_elements = 0;
  // Quamba2: the scale-index lookup's Verilated block, or why its C++ model runs.
  bool lookup_rtl_in_loop = false;
  std::string lookup_variant, lookup_note;
  Cycles lookup_rtl_cycles = 0;
  std::int64_t lookup_rtl_elements = 0;
  std::vector<TensorCheck> checks;
  // Decode: every tensor of every step against golden's continuation (the
  // prefill's state carried by golden itself), one check per tensor over all
  // steps (token = the prompt's length + step).
  std::vector<TensorCheck> decode_checks;
  bool bit_exact() const;
  std::int64_t mismatches() const;
  int checks_run() const;  // checks that compared at least one element
};

struct CosimOptions {
  // Test hook: use this Verilated quantizer variant even if it implements
  // another policy than the scheme's (the negative control of the checks).
  std::string force_quantizer_variant;
  bool rtl_out_of_loop = false;  // run the units' C++ quantizer and dequant even where an RTL variant exists
  ModelVariant variant;          // the negative controls
  // The golden layer's trace of (q, input) in the accelerator's mode, when
  // the caller has run it already (`mambahw run` evaluates that mode for its
  // accuracy report); null: run_cosim runs the golden layer itself.
  const LayerTrace* golden = nullptr;
  int state_layers = 1;          // decode: layers whose SSM states share the state buffer (a whole model: n_layer)
  // Negative control of run_cosim_stack: the host chains the layers without
  // the residual (the next input is the RMSNorm of the layer output alone).
  bool host_residual_dropped = false;
};

// Runs the calibrated layer `q` on `input` ([L][d_model]) on the system.
// SystemC elaborates once per process: call this once.
CosimReport run_cosim(const System& sys, const QuantizedLayer& q, const FloatTensor& input,
                      const CosimOptions& opt = {});
// A prompt `input` ([L][d_model]) and then one decode step per row of
// `decode_inputs` ([N][d_model]), against golden's run_continuation.
CosimReport run_cosim(const System& sys, const QuantizedLayer& q, const FloatTensor& input,
                      const FloatTensor& decode_inputs, const CosimOptions& opt = {});

// A model's first layers chained, over a batch of sequences (StackRun):
// every sequence its own prompt (and decode inputs), every layer its own
// calibrated weights. Checked against golden's StackCursor per sequence
// (golden's own chain, from its own outputs): every tensor of every layer,
// every sequence and every decode step, bit for bit; a check sums its
// elements over all of them (first mismatch names the layer and sequence).
struct StackInputs {
  std::vector<const QuantizedLayer*> layers;
  std::vector<FloatTensor> prompts;        // per sequence [L][d_model], layer 0's input
  std::vector<FloatTensor> decode_inputs;  // per sequence [N][d_model]; empty: no decode
};
CosimReport run_cosim_stack(const System& sys, const StackInputs& in, const CosimOptions& opt = {});

}  // namespace mambahw::model
