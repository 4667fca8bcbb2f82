// SSM dequant stage: an INT8 code times an FP32 scale, or a dual-scale word
// through the MUX  value = code * (flag ? scale12 : scale1); one element per
// cycle (docs/arithmetic.md §5-§6). NaN results are the canonical 0x7fc00000.
//   stage 1: sign-extend the code, convert it to FP32 (exact), select the scale
//   stage 2: fp32 multiply (RNE, optional FTZ)
// Latency 2 cycles; valid/ready handshake.
`include "mambahw_assert.svh"

module ssm_dequant #(
  parameter bit          Ftz      = 1'b0,
  parameter int CodeBits = 4,                                  // dual-scale code width
  parameter int InBits   = (CodeBits + 1 > 8) ? CodeBits + 1 : 8
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              valid_i,
  output logic              ready_o,
  input  logic              mode_i,      // 0: INT8 code with scale_i; 1: dual-scale word
  input  logic [InBits-1:0] code_i,
  input  logic [31:0]       scale_i,
  input  logic [31:0]       scale1_i,    // dual-scale registers
  input  logic [31:0]       scale12_i,
  output logic              valid_o,
  input  logic              ready_i,
  output logic [31:0]       value_o
);
  // ---- parameter legality and the block's invariants (docs/rtl.md) -------------
  `MH_ASSERT_INIT(CodeBitsLegal_A, CodeBits >= 2 && CodeBits <= 8)
  `MH_ASSERT_INIT(InBitsLegal_A, InBits == ((CodeBits + 1 > 8) ? CodeBits + 1 : 8))
  `MH_ASSERT_KNOWN(ValidOKnown_A, valid_o)
  `MH_ASSERT_KNOWN(ReadyOKnown_A, ready_o)
  `MH_ASSERT_KNOWN(ValueKnown_A, valid_o ? value_o : '0)
  // Every NaN leaving the stage is the canonical 0x7fc00000 (docs/arithmetic.md §6).
  `MH_ASSERT(NanCanonical_A, valid_o && value_o[30:23] == 8'hff && value_o[22:0] != '0 |->
                                 value_o == mambahw_pkg::Fp32CanonicalNan)
  `MH_ASSERT(ReadyWhenEmpty_A, !s1_valid_q |-> ready_o)
  `MH_ASSERT(OutputHolds_A, valid_o && !ready_i |=> valid_o && $stable(value_o))

  // ---- stage 1: code -> FP32, scale select --------------------------------------------
  logic signed [8:0] code;
  logic [7:0]        mag;
  logic [31:0]       code_f, scale_d;
  logic [2:0]        msb;

  logic [8:0] int8_code, dual_code;
  logic       dual_flag;
  assign int8_code = {code_i[7], code_i[7:0]};
  assign dual_code = {{(9 - CodeBits){code_i[CodeBits-1]}}, code_i[CodeBits-1:0]};
  assign dual_flag = code_i[CodeBits];
  assign code = mode_i ? $signed(dual_code) : $signed(int8_code);
  assign scale_d = !mode_i ? scale_i : (dual_flag ? scale12_i : scale1_i);

  // |code| <= 128: exact in FP32.
  assign mag = code[8] ? 8'(-code) : code[7:0];
  always_comb begin
    msb = 3'd0;
    for (int i = 0; i < 8; i++) begin
      if (mag[i]) msb = 3'(i);
    end
  end
  assign code_f = (mag == '0) ? 32'h0 :
                  {code[8], 8'(8'd127 + 8'(msb)), 23'(({15'h0, mag} << (5'd23 - 5'(msb))))};

  logic        s1_valid_q, s1_ready;
  logic [31:0] a_q, b_q;
  assign ready_o = !s1_valid_q || s1_ready;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) s1_valid_q <= 1'b0;
    else if (ready_o) s1_valid_q <= valid_i;
  end
  always_ff @(posedge clk_i) begin
    if (ready_o && valid_i) begin
      a_q <= code_f;
      b_q <= scale_d;
    end
  end

  // ---- stage 2: multiply ----------------------------------------------------------------
  logic [31:0] p;
  logic        s2_valid_q;
  fp32_mul #(.Ftz(Ftz)) u_mul (.a_i(a_q), .b_i(b_q), .p_o(p));
  assign s1_ready = !s2_valid_q || ready_i;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) s2_valid_q <= 1'b0;
    else if (s1_ready) s2_valid_q <= s1_valid_q;
  end
  always_ff @(posedge clk_i) begin
    if (s1_ready && s1_valid_q) value_o <= p;
  end
  assign valid_o = s2_valid_q;

  logic unused;
  assign unused = ^code_i;  // upper bits unused in one of the two modes

endmodule
