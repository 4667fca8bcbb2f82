// One bind of the valid/ready protocol checker per stream, for any module
// with a block's contract ports (docs/contracts.md): mambahw's own blocks
// (mambahw_bind.sv) and the verification kit's adapters (tb/kit/kit_bind.sv)
// use the same macros, so the two bind the same rules.
`ifndef MAMBAHW_BIND_SVH
`define MAMBAHW_BIND_SVH

// The input stream (Source 0: assumptions about the environment) and the
// output stream (Source 1: assertions about the block) of module __m; a
// concatenation argument goes in parentheses (commas).
`define MH_BIND_STREAMS(__m, __in_data, __out_data) \
  bind __m valid_ready_checker #(.Width($bits(__in_data)), .Source(1'b0)) u_in_protocol ( \
    .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i(__in_data)); \
  bind __m valid_ready_checker #(.Width($bits(__out_data)), .Source(1'b1)) u_out_protocol ( \
    .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i(__out_data));

`define MH_BIND_CONV_OUT_QUANTIZER(__m) `MH_BIND_STREAMS(__m, ({x_i, scale_i}), ({code_o, se_o}))
`define MH_BIND_SSM_DEQUANT(__m) `MH_BIND_STREAMS(__m, ({mode_i, code_i, scale_i}), value_o)
`define MH_BIND_SCALE_INDEX_LOOKUP(__m) `MH_BIND_STREAMS(__m, channel_i, ({found_o, g_o, hg_o, dg_o, scale_o}))

`endif  // MAMBAHW_BIND_SVH
