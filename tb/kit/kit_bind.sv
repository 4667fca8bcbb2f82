// Binds the valid/ready protocol checker (rtl/sva/valid_ready_checker.sv) to
// both streams of the kit's adapters, whose ports are the contracts'. So
// every DUT the kit runs under --assert is checked, whatever its own port
// names (Verilator reads this file; Icarus 11 has no SVA).
bind kit_conv_out_quantizer_adapter valid_ready_checker #(
  .Width($bits({x_i, scale_i})), .Source(1'b0)
) u_kit_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i({x_i, scale_i})
);
bind kit_conv_out_quantizer_adapter valid_ready_checker #(
  .Width($bits({code_o, se_o})), .Source(1'b1)
) u_kit_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i({code_o, se_o})
);

bind kit_ssm_dequant_adapter valid_ready_checker #(
  .Width($bits({mode_i, code_i, scale_i})), .Source(1'b0)
) u_kit_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i({mode_i, code_i, scale_i})
);
bind kit_ssm_dequant_adapter valid_ready_checker #(
  .Width($bits(value_o)), .Source(1'b1)
) u_kit_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i(value_o)
);

bind kit_scale_index_lookup_adapter valid_ready_checker #(
  .Width($bits(channel_i)), .Source(1'b0)
) u_kit_in_protocol (
  .clk_i, .rst_ni, .valid_i(valid_i), .ready_i(ready_o), .data_i(channel_i)
);
bind kit_scale_index_lookup_adapter valid_ready_checker #(
  .Width($bits({found_o, g_o, hg_o, dg_o, scale_o})), .Source(1'b1)
) u_kit_out_protocol (
  .clk_i, .rst_ni, .valid_i(valid_o), .ready_i(ready_i), .data_i({found_o, g_o, hg_o, dg_o, scale_o})
);
