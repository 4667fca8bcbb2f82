// What the host loads into the accelerator before a layer runs: the weight
// and constant memories (byte images in memory.hpp's layouts, written to
// DRAM through the debug transport), the layer input, and the numerics
// registers of each unit (scale registers, the requantization unit's
// policy pins, the conv-output scales or the index SRAM's table). The units
// read only these: they never see the golden model's tensors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/model/memory.hpp"

namespace mambahw {
struct QuantizedLayer;
}

namespace mambahw::model {

struct GemmRegisters {
  float act_scale = 1.0f;          // s_x
  std::vector<float> out_scale;    // s_out per output column (INT8 outputs); empty: FP16 outputs (s_out = 1)
  bool grouped = false;            // per-group weight scales
  int weight_group = 0;
  RequantPolicy requant;
  Rounding in_rounding = Rounding::kHalfToEven;  // an FP16 input requantized on the way in
};

// Quamba2's scale-index SRAM (memory.hpp's image, golden's index_sram_layout)
// and the B and C segments' per-group scale registers.
struct IndexSram {
  ScaleTableShape shape;
  Bytes words;
  std::vector<float> b_scales, c_scales;  // [G]
};

struct ConvRegisters {
  ConvOrder order = ConvOrder::kPrefill;
  NumericsPolicy numerics;
  std::vector<float> scale;                 // Quamba1: the per-channel scale registers
  std::optional<IndexSram> index;           // Quamba2: the index SRAM (scales found by the lookup)
  std::optional<DualScaleFormat> dual;      // the dual-scale registers (scale1, scale12 and inverses)
};

struct SsmRegisters {
  SsmPolicy policy;
  QuantScheme scheme;                       // Mamba2's gated RMSNorm (its SiLU numerics)
  std::optional<DualScaleFormat> dual;
  float delta_scale = 1.0f;                 // Mamba1 dt_proj output; Mamba2 in_proj dt
  float z_scale = 1.0f;
  float bc_scale = 1.0f;                    // Mamba1: x_proj output (B and C); Mamba2: per group, looked up
};

struct HadamardRegisters {
  HadamardSize size;
  float multiplier = 0.0f;
  HadamardQuantPolicy policy;
};

// Deliberate deviations from the specification: the negative controls that
// the comparison with the golden model must catch.
struct ModelVariant {
  bool int4_nibbles_high_first = false;   // the GEMM array unpacks INT4 weights high nibble first
  bool conv_state_dropped = false;        // the conv unit forgets its state at every token tile
  std::optional<StateReduction> reduction;  // the SSM core reduces y = C . h in this order, not the scheme's
  std::optional<int> tree_width;            // ... with adder trees of this width, not its lanes
  bool hadamard_last_stage_skipped = false;  // the Hadamard unit leaves out its last radix-2 stage
  std::optional<std::int64_t> index_sram_flipped_bit;  // the host loads the index SRAM with this bit inverted
  bool decode_state_dropped = false;      // decode steps start from a zero SSM state (forget the prompt)
};

struct LayerData {
  std::map<GemmId, GemmRegisters> gemm;
  ConvRegisters conv;
  SsmRegisters ssm;
  std::optional<HadamardRegisters> hadamard;
  std::map<std::string, Bytes> images;      // host-written tensors: weights, constants, the layer input
  std::vector<Bytes> decode_inputs;         // the layer input of each decode step (one token each)
  ModelVariant variant;
};

// The layer input's image (program.input in its layout) from INT8 codes [T][d_model].
Bytes layer_input_image(const LayerProgram& program, const Tensor<std::int8_t>& hidden);

// The host's load for layer `q` under `program` at `len` tokens, with the
// layer input's INT8 codes `hidden` ([L][d_model], the previous layer's output).
LayerData load_layer(const QuantizedLayer& q, const LayerProgram& program, int len, const GemmArrayConfig& array,
                     const Tensor<std::int8_t>& hidden);

}  // namespace mambahw::model
