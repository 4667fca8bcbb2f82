// Verification-kit adapter for the conv_out_quantizer contract
// (docs/contracts.md §2). The kit's testbench instantiates this module; its
// ports are the contract's. This default adapter fits an implementation
// whose ports and parameters already carry the contract's names: set its
// module name with `verify_rtl.sh --top NAME` (KIT_DUT_TOP), and
// --no-params (KIT_DUT_NO_PARAMS) for a netlist or a design with its
// configuration fixed inside. For other port names, copy this file, map the
// ports in the instance below, and pass it with --adapter.
`ifndef KIT_DUT_TOP
  `define KIT_DUT_TOP conv_out_quantizer
`endif
module kit_conv_out_quantizer_adapter #(
  parameter int Rounding  = 0,
  parameter bit Ftz       = 1'b0,
  parameter bit Wrap      = 1'b0,
  parameter int CodeBits  = 4,
  parameter bit Symmetric = 1'b1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              valid_i,
  output logic              ready_o,
  input  logic [31:0]       x_i,
  input  logic [31:0]       scale_i,
  input  logic [31:0]       se_scale1_i,
  input  logic [31:0]       se_scale12_i,
  output logic              valid_o,
  input  logic              ready_i,
  output logic [7:0]        code_o,
  output logic [CodeBits:0] se_o
);
  `KIT_DUT_TOP
`ifndef KIT_DUT_NO_PARAMS
  #(.Rounding(Rounding), .Ftz(Ftz), .Wrap(Wrap), .CodeBits(CodeBits), .Symmetric(Symmetric))
`endif
  u_dut (
    .clk_i, .rst_ni, .valid_i, .ready_o, .x_i, .scale_i, .se_scale1_i, .se_scale12_i,
    .valid_o, .ready_i, .code_o, .se_o
  );
endmodule
