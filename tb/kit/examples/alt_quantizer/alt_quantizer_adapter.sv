// The engineer's adapter for alt_quantizer: the kit's contract ports
// (tb/kit/adapters/kit_conv_out_quantizer_adapter.sv, the template) mapped to
// alt_quantizer's own names and parameters.
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
  alt_quantizer #(
    .RoundMode(Rounding), .FlushSubn(Ftz), .WrapInt8(Wrap), .SeBits(CodeBits), .SeSymm(Symmetric)
  ) u_alt (
    .clk(clk_i), .arst_n(rst_ni),
    .in_vld(valid_i), .in_rdy(ready_o), .in_x(x_i), .in_inv_scale(scale_i),
    .cfg_inv_s1(se_scale1_i), .cfg_inv_s12(se_scale12_i),
    .out_vld(valid_o), .out_rdy(ready_i), .out_q8(code_o), .out_qse(se_o)
  );
endmodule
