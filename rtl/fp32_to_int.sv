// Rounds an FP32 value to an integer code, combinational: NaN -> 0; round
// (Rounding: half-away / half-even / toward-zero); then saturate to
// [qmin_i, qmax_i] (+-Inf saturate) or, with wrap_i, convert to int32
// saturating (PTX cvt.s32) and keep the low CodeBits bits.
// Also reports whether the rounded value lies inside [qmin_i, qmax_i]
// (the dual-scale flag rule). Matches golden code_of_scaled().
`include "mambahw_assert.svh"

module fp32_to_int #(
  parameter int Rounding = mambahw_pkg::RoundHalfAway,
  parameter int CodeBits = 8
) (
  input  logic [31:0]         v_i,
  input  logic                wrap_i,
  input  logic signed [8:0]   qmin_i,
  input  logic signed [8:0]   qmax_i,
  output logic [CodeBits-1:0] code_o,
  output logic                in_range_o   // round(v) in [qmin, qmax] (false for NaN)
);
  `MH_ASSERT_INIT(RoundingLegal_A, Rounding >= 0 && Rounding <= 2)
  `MH_ASSERT_INIT(CodeBitsLegal_A, CodeBits >= 2 && CodeBits <= 8)  // qmin_i/qmax_i are 9 bits

  logic        s;
  logic [7:0]  e;
  logic [22:0] f;
  logic        is_nan, huge;           // huge: |v| >= 2^31 (incl. Inf)
  logic [23:0] sig;
  logic [31:0] int_part;
  logic        guard, sticky, inc;
  logic [32:0] mag;                    // |round(v)|, < 2^31 + 1
  logic [8:0]  qlim;                   // the magnitude limit on v's side
  logic        over;
  logic [31:0] i32;
  logic [4:0]  rsh;                    // right shift of sig for 127 <= e <= 149

  assign {s, e, f} = v_i;
  assign is_nan = (e == 8'hff) && (f != '0);
  assign huge = (e >= 8'd158);
  assign sig = {e != 8'h00, f};
  assign rsh = 5'(8'd150 - e);

  // |v| = sig * 2^(e - 150). Integer part and the first two fraction bits.
  always_comb begin
    int_part = '0;
    guard = 1'b0;
    sticky = 1'b0;
    if (e >= 8'd150) begin
      int_part = 32'(sig) << (e - 8'd150);        // e <= 157 here unless huge
    end else if (e >= 8'd127) begin
      int_part = {8'h00, sig >> rsh};
      guard = sig[rsh - 5'd1];
      sticky = (sig & ((24'd1 << (rsh - 5'd1)) - 24'd1)) != '0;
    end else if (e == 8'd126) begin
      guard = 1'b1;                               // |v| in [0.5, 1)
      sticky = (f != '0);
    end else begin
      sticky = (e != 8'h00) || (f != '0);         // 0 < |v| < 0.5, or zero
    end
  end

  logic int_lsb;
  assign int_lsb = int_part[0];
  always_comb begin
    case (Rounding)
      mambahw_pkg::RoundHalfAway: inc = guard;
      mambahw_pkg::RoundHalfEven: inc = guard && (sticky || int_lsb);
      default:       inc = 1'b0;
    endcase
  end
  assign mag = 33'(int_part) + 33'(inc);

  assign qlim = s ? 9'(-qmin_i) : 9'(qmax_i);
  assign over = huge || (mag > 33'(qlim));
  assign in_range_o = !is_nan && !over;

  // Wrap: int32 saturating conversion, then the low bits.
  logic                i32_sat;
  logic [31:0]         mag32;
  logic [CodeBits-1:0] wrapped, sat_code, mag_low;
  assign i32_sat = huge || (mag[32:31] != 2'b00);
  assign mag32 = mag[31:0];
  assign i32 = s ? (i32_sat ? 32'h8000_0000 : -mag32) : (i32_sat ? 32'h7fff_ffff : mag32);
  assign wrapped = i32[CodeBits-1:0];
  assign sat_code = s ? qmin_i[CodeBits-1:0] : qmax_i[CodeBits-1:0];
  assign mag_low = mag[CodeBits-1:0];

  always_comb begin
    if (is_nan) begin
      code_o = '0;
    end else if (wrap_i) begin
      code_o = wrapped;
    end else if (over) begin
      code_o = sat_code;
    end else begin
      code_o = s ? -mag_low : mag_low;
    end
  end

  logic unused_i32;
  assign unused_i32 = ^i32;  // only the low CodeBits bits leave the block

endmodule
