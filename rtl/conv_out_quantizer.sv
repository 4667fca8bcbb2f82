// Conv-output quantizer: FP32 conv+SiLU value -> INT8 code, and -> dual-scale
// word (W4A5-SE: 4-bit code + flag; CodeBits = 8: scale enhancement), one
// element per cycle. Implements docs/arithmetic.md §4-§5 with the quantize
// policy multiply_reciprocal: the scale registers hold fp32(1/scale).
//
//   stage 1: v = x * scale_i, v1 = x * se_scale1_i, v12 = x * se_scale12_i  (three fp32_mul)
//   stage 2: code = round/saturate-or-wrap(v); inlier = round(v1) in [qmin, qmax];
//            se = inlier ? {0, round(v1)} : {1, saturate(round(v12))}
// Latency 2 cycles; valid/ready handshake with back-pressure at every stage.
// scale_i travels with each element (per-tensor or per-channel scale);
// se_scale1_i / se_scale12_i are quasi-static configuration registers.
`include "mambahw_assert.svh"

module conv_out_quantizer #(
  parameter int Rounding  = mambahw_pkg::RoundHalfAway,
  parameter bit          Ftz       = 1'b0,   // flush subnormals (Denormals::kFlushToZero)
  parameter bit          Wrap      = 1'b0,   // INT8 path: wrap instead of saturate
  parameter int CodeBits  = 4,      // dual-scale code width (4 or 8)
  parameter bit          Symmetric = 1'b1    // dual-scale codes in [-(2^(b-1)-1), 2^(b-1)-1]
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  // input element
  input  logic                valid_i,
  output logic                ready_o,
  input  logic [31:0]         x_i,
  input  logic [31:0]         scale_i,        // fp32(1 / INT8 scale)
  input  logic [31:0]         se_scale1_i,    // fp32(1 / scale1)
  input  logic [31:0]         se_scale12_i,   // fp32(1 / fp32(scale1 * scale2))
  // output codes
  output logic                valid_o,
  input  logic                ready_i,
  output logic [7:0]          code_o,
  output logic [CodeBits:0]   se_o            // {flag, code}
);
  localparam logic signed [8:0] SeQmax = 9'sd1 <<< (CodeBits - 1);
  localparam logic signed [8:0] SeMax  = SeQmax - 9'sd1;
  localparam logic signed [8:0] SeMin  = Symmetric ? -SeMax : -SeQmax;

  // ---- parameter legality and the block's invariants (docs/rtl.md) -------------
  `MH_ASSERT_INIT(RoundingLegal_A, Rounding >= 0 && Rounding <= 2)
  `MH_ASSERT_INIT(CodeBitsLegal_A, CodeBits >= 2 && CodeBits <= 8)
  `MH_ASSERT_KNOWN(ValidOKnown_A, valid_o)
  `MH_ASSERT_KNOWN(ReadyOKnown_A, ready_o)
  `MH_ASSERT_KNOWN(CodesKnown_A, valid_o ? {code_o, se_o} : '0)
  // A dual-scale code is inside [SeMin, SeMax] on both sides of the flag.
  logic signed [8:0] se_code;
  assign se_code = 9'($signed(se_o[CodeBits-1:0]));
  `MH_ASSERT(SeCodeInRange_A, valid_o |-> se_code >= SeMin && se_code <= SeMax)
  // An empty stage 1 always accepts; a stalled stage holds its element.
  `MH_ASSERT(ReadyWhenEmpty_A, !s1_valid_q |-> ready_o)
  `MH_ASSERT(Stage1Holds_A, s1_valid_q && !s1_ready |=> s1_valid_q && $stable({v_q, v1_q, v12_q}))
  `MH_ASSERT(OutputHolds_A, valid_o && !ready_i |=> valid_o && $stable({code_o, se_o}))

  // ---- stage 1: products --------------------------------------------------------
  logic        s1_valid_q, s1_ready;
  logic [31:0] v_d, v1_d, v12_d, v_q, v1_q, v12_q;

  fp32_mul #(.Ftz(Ftz)) u_mul_int8 (.a_i(x_i), .b_i(scale_i),      .p_o(v_d));
  fp32_mul #(.Ftz(Ftz)) u_mul_s1   (.a_i(x_i), .b_i(se_scale1_i),  .p_o(v1_d));
  fp32_mul #(.Ftz(Ftz)) u_mul_s12  (.a_i(x_i), .b_i(se_scale12_i), .p_o(v12_d));

  assign ready_o = !s1_valid_q || s1_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
    end else if (ready_o) begin
      s1_valid_q <= valid_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (ready_o && valid_i) begin
      v_q   <= v_d;
      v1_q  <= v1_d;
      v12_q <= v12_d;
    end
  end

  // ---- stage 2: rounding, saturation, flag rule -----------------------------------
  logic [7:0]          code_d;
  logic [CodeBits-1:0] c1, c12;
  logic                in1, unused_in8, unused_in12;
  logic                s2_valid_q;

  fp32_to_int #(.Rounding(Rounding), .CodeBits(8)) u_int8 (
    .v_i(v_q), .wrap_i(Wrap), .qmin_i(-9'sd128), .qmax_i(9'sd127),
    .code_o(code_d), .in_range_o(unused_in8));
  fp32_to_int #(.Rounding(Rounding), .CodeBits(CodeBits)) u_se1 (
    .v_i(v1_q), .wrap_i(1'b0), .qmin_i(SeMin), .qmax_i(SeMax),
    .code_o(c1), .in_range_o(in1));
  fp32_to_int #(.Rounding(Rounding), .CodeBits(CodeBits)) u_se12 (
    .v_i(v12_q), .wrap_i(1'b0), .qmin_i(SeMin), .qmax_i(SeMax),
    .code_o(c12), .in_range_o(unused_in12));

  // NaN gives in1 = 0 but must be the inlier code 0: c1 is 0 for NaN.
  logic v1_nan;
  assign v1_nan = (v1_q[30:23] == 8'hff) && (v1_q[22:0] != '0);

  assign s1_ready = !s2_valid_q || ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s2_valid_q <= 1'b0;
    end else if (s1_ready) begin
      s2_valid_q <= s1_valid_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (s1_ready && s1_valid_q) begin
      code_o <= code_d;
      se_o   <= (in1 || v1_nan) ? {1'b0, c1} : {1'b1, c12};
    end
  end

  assign valid_o = s2_valid_q;

  logic unused;
  assign unused = unused_in8 ^ unused_in12;

endmodule
