// Verification-kit adapter for the ssm_dequant contract (docs/contracts.md
// §3); see kit_conv_out_quantizer_adapter.sv for how to adapt it.
`ifndef KIT_DUT_TOP
  `define KIT_DUT_TOP ssm_dequant
`endif
module kit_ssm_dequant_adapter #(
  parameter bit Ftz      = 1'b0,
  parameter int CodeBits = 4,
  parameter int InBits   = (CodeBits + 1 > 8) ? CodeBits + 1 : 8
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              valid_i,
  output logic              ready_o,
  input  logic              mode_i,
  input  logic [InBits-1:0] code_i,
  input  logic [31:0]       scale_i,
  input  logic [31:0]       scale1_i,
  input  logic [31:0]       scale12_i,
  output logic              valid_o,
  input  logic              ready_i,
  output logic [31:0]       value_o
);
  `KIT_DUT_TOP
`ifndef KIT_DUT_NO_PARAMS
  #(.Ftz(Ftz), .CodeBits(CodeBits))
`endif
  u_dut (
    .clk_i, .rst_ni, .valid_i, .ready_o, .mode_i, .code_i, .scale_i, .scale1_i, .scale12_i,
    .valid_o, .ready_i, .value_o
  );
endmodule
