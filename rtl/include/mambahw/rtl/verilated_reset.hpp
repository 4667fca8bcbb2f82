#pragma once
// Reset of a Verilated stream block (conv_out_quantizer, ssm_dequant,
// scale_index_lookup): rst_ni low across one rising edge of clk_i, then high.
// The RTL resets asynchronously (always_ff @(posedge clk_i or negedge rst_ni)),
// so the edge only makes the reset visible to a model evaluated per edge; the
// block leaves reset with clk_i high, ready for the next falling edge.

namespace mambahw::rtl {

template <class V>
void reset_for_one_edge(V& m) {
  m.rst_ni = 0;
  m.clk_i = 0;
  m.eval();
  m.clk_i = 1;
  m.eval();
  m.rst_ni = 1;
}

}  // namespace mambahw::rtl
