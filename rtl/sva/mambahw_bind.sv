// Binds the valid/ready protocol checker to both streams of every mambahw
// block (OpenTitan sva/*_bind.sv style). Compiled with rtl/mambahw.f and
// valid_ready_checker.sv in every assertion run (verilator --assert); never
// part of synthesis.
bind conv_out_quantizer valid_ready_checker #(
  .Width($bits({x_i, scale_i})), .Source(1'b0)
) u_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i({x_i, scale_i})
);
bind conv_out_quantizer valid_ready_checker #(
  .Width($bits({code_o, se_o})), .Source(1'b1)
) u_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i({code_o, se_o})
);

bind ssm_dequant valid_ready_checker #(
  .Width($bits({mode_i, code_i, scale_i})), .Source(1'b0)
) u_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i({mode_i, code_i, scale_i})
);
bind ssm_dequant valid_ready_checker #(
  .Width($bits(value_o)), .Source(1'b1)
) u_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i(value_o)
);

bind scale_index_lookup valid_ready_checker #(
  .Width($bits(channel_i)), .Source(1'b0)
) u_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i(channel_i)
);
bind scale_index_lookup valid_ready_checker #(
  .Width($bits({found_o, g_o, hg_o, dg_o, scale_o})), .Source(1'b1)
) u_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i({found_o, g_o, hg_o, dg_o, scale_o})
);
