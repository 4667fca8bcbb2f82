// IEEE-754 binary32 multiplier, round to nearest even, combinational.
// Ftz = 0: full gradual underflow. Ftz = 1: subnormal operands read as signed
// zero, and a result that is subnormal after rounding becomes signed zero
// (the golden model's Denormals::kFlushToZero). Any NaN result is the
// canonical 0x7fc00000.
`include "mambahw_assert.svh"

module fp32_mul #(
  parameter bit Ftz = 1'b0
) (
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] p_o
);
  `MH_ASSERT_INIT(FtzLegal_A, Ftz == 1'b0 || Ftz == 1'b1)

  logic        sa, sb, sp;
  logic [7:0]  ea, eb;
  logic [22:0] fa, fb;
  logic        a_nan, b_nan, a_inf, b_inf, a_zero, b_zero;
  logic [23:0] ma, mb;
  logic [47:0] prod, norm;
  logic [5:0]  lz;
  logic signed [10:0] e_norm;     // biased exponent of the normalised product
  logic [5:0]  rshift;            // extra right shift into the subnormal range
  logic [47:0] shifted;
  logic        shift_sticky;
  logic [22:0] mant;
  logic [7:0]  exp_field;
  logic        guard, sticky, round_up;
  logic [30:0] rounded;           // {exponent, mantissa} after rounding

  assign {sa, ea, fa} = a_i;
  assign {sb, eb, fb} = b_i;
  assign sp = sa ^ sb;

  assign a_nan  = (ea == 8'hff) && (fa != '0);
  assign b_nan  = (eb == 8'hff) && (fb != '0);
  assign a_inf  = (ea == 8'hff) && (fa == '0);
  assign b_inf  = (eb == 8'hff) && (fb == '0);
  assign a_zero = (ea == 8'h00) && ((fa == '0) || Ftz);
  assign b_zero = (eb == 8'h00) && ((fb == '0) || Ftz);

  // Significands with the hidden bit; subnormals have exponent 1 and no hidden bit.
  assign ma = {ea != 8'h00, fa};
  assign mb = {eb != 8'h00, fb};
  assign prod = ma * mb;

  // Leading zeros of the 48-bit product by binary search (6 stages). A zero
  // product is handled separately, so its count does not matter.
  logic [47:0] t1, t2, t3;
  logic [2:0]  t4;
  logic        z5, z4, z3, z2, z1, z0;
  assign z5 = (prod[47:16] == '0);
  assign t1 = z5 ? prod << 32 : prod;
  assign z4 = (t1[47:32] == '0);
  assign t2 = z4 ? t1 << 16 : t1;
  assign z3 = (t2[47:40] == '0);
  assign t3 = z3 ? t2 << 8 : t2;
  assign z2 = (t3[47:44] == '0);
  assign t4 = z2 ? t3[43:41] : t3[47:45];
  assign z1 = (t4[2:1] == '0);
  assign z0 = z1 ? ~t4[0] : ~t4[2];
  assign lz = {z5, z4, z3, z2, z1, z0};

  logic unused_t3;
  assign unused_t3 = ^t3[40:0];  // the last two stages only look at the top bits

  // value = prod * 2^(ea' + eb' - 254 - 46), ea' = max(ea, 1); with the
  // leading one moved to bit 47 the biased exponent is ea' + eb' - 126 - lz.
  assign norm = prod << lz;
  logic [7:0] ea_eff, eb_eff;
  assign ea_eff = (ea == 8'h00) ? 8'd1 : ea;
  assign eb_eff = (eb == 8'h00) ? 8'd1 : eb;
  assign e_norm = $signed({3'b0, ea_eff}) + $signed({3'b0, eb_eff}) - 11'sd126 - $signed({5'b0, lz});

  // Results below the normal range: shift right by 1 - e_norm (capped; all
  // bits beyond 25 positions only feed the sticky bit).
  always_comb begin
    if (e_norm >= 11'sd1) begin
      rshift = 6'd0;
    end else if (e_norm < -11'sd40) begin
      rshift = 6'd48;
    end else begin
      rshift = 6'(11'sd1 - e_norm);
    end
  end

  // Bits shifted out below the result feed the sticky bit.
  logic [48:0] out_mask;
  assign out_mask = (49'd1 << rshift) - 49'd1;
  assign shifted = norm >> rshift;
  assign shift_sticky = (norm & out_mask[47:0]) != '0;

  logic unused_mask;
  assign unused_mask = out_mask[48];

  assign exp_field = (e_norm >= 11'sd1) ? e_norm[7:0] : 8'h00;
  assign mant = shifted[46:24];
  assign guard = shifted[23];
  assign sticky = (shifted[22:0] != '0) || shift_sticky;
  assign round_up = guard && (sticky || mant[0]);
  assign rounded = {exp_field, mant} + 31'(round_up);

  // shifted[47] is the hidden bit of a normal result; the fields above carry it.
  logic unused_hidden;
  assign unused_hidden = shifted[47];

  logic [7:0] rounded_exp;
  assign rounded_exp = rounded[30:23];
  always_comb begin
    if (a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero)) begin
      p_o = mambahw_pkg::Fp32CanonicalNan;
    end else if (a_inf || b_inf) begin
      p_o = {sp, 8'hff, 23'h0};
    end else if (a_zero || b_zero || (prod == '0)) begin
      p_o = {sp, 31'h0};
    end else if ((e_norm >= 11'sd255) || (rounded_exp == 8'hff)) begin
      p_o = {sp, 8'hff, 23'h0};                   // overflow to infinity
    end else if (Ftz && (rounded_exp == 8'h00)) begin
      p_o = {sp, 31'h0};                          // subnormal result flushed
    end else begin
      p_o = {sp, rounded};
    end
  end

endmodule
