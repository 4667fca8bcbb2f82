// Gate counts of the RTL blocks from synthesis (rtl/synth/synth.sh: yosys
// 0.23 + ABC to NAND2/INV and D flip-flops; docs/synthesis.md), the one place
// the cost model reads them from. NAND2 equivalents weigh each cell by its
// NanGate FreePDK45 area over NAND2_X1's; the die estimate multiplies them by
// the table's NAND2 area (ops.gate, per node). `nand2_eq` counts every cell,
// `logic_nand2_eq` the NAND2s and inverters only (without the flip-flops).
//
// Checked-in numbers: the ctest `cost_synthesis_gates` (labels synth, long)
// re-synthesizes each block with these parameters and fails when a count
// differs (tb/cost/check_synthesis_gates.sh reads this file's lines).
#pragma once

#include <string_view>

namespace mambahw::cost {

struct SynthesisGates {
  std::string_view block;       // rtl/ module
  std::string_view parameters;  // synth.sh PARAM=VALUE arguments ("" = the RTL defaults)
  int nand2_eq = 0;             // all cells
  int logic_nand2_eq = 0;       // NAND2 + INV only
};

// One element per cycle: the INT8 code and the W4A5-SE word (CodeBits 4).
inline constexpr SynthesisGates kConvOutQuantizerGates{"conv_out_quantizer", "", 28989, 28358};
// One element per cycle, INT8 or dual-scale (CodeBits 4), 2-cycle pipeline.
inline constexpr SynthesisGates kSsmDequantGates{"ssm_dequant", "", 5076, 4626};
// Sequential search of a 1 x 4 x 4 table, 24 heads per group x headdim 64;
// the table's registers are most of the flip-flops (the die estimate counts
// the tables as the scale-index memory, so it takes the logic alone).
inline constexpr SynthesisGates kScaleIndexLookupSeqGates{"scale_index_lookup", "", 10657, 5620};
inline constexpr SynthesisGates kScaleIndexLookupParGates{"scale_index_lookup", "Parallel=1", 10610, 5575};
// The shape the lookup was synthesized for (the RTL's default parameters).
inline constexpr int kLookupSynthGroups = 1, kLookupSynthHeadGroups = 4, kLookupSynthDimGroups = 4,
                     kLookupSynthHeadsPerGroup = 24, kLookupSynthHeadDim = 64;

}  // namespace mambahw::cost
