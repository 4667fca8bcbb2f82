// A second, independent conv-output quantizer written against the contract
// (docs/contracts.md §2) to prove the verification kit: other port names,
// another pipeline depth and another internal structure than rtl/.
//
//  - No IEEE re-encoding between the two roundings. Stage 1 forms the exact
//    product P * 2^E (P = 24x24-bit significand product). Stage 2 rounds it
//    to the FP32 grid as an integer significand R and a grid exponent U
//    (value = R * 2^U, U >= -149), with overflow, underflow and FTZ decided
//    on (R, U). Stage 3 rounds R * 2^U to an integer by shifting R.
//  - Three lanes (INT8 scale, scale1, scale12) as one generate loop.
//  - The pipeline never stalls: its three stages always advance into a
//    6-entry output FIFO, and in_rdy is a credit check (FIFO entries plus
//    elements in flight, plus the new one, fit in the FIFO). An element
//    reaches out_vld 4 cycles after it was accepted; one element per cycle.
//
// Planted bugs for the kit's negative tests (tb/kit/examples/*.f):
//  - ALT_BUG_TIE: the INT8 lane rounds exact ties the other way.
//  - ALT_BUG_DROP: after four stalled cycles the FIFO discards its head beat
//    (a mis-designed timeout), so one output is lost.
module alt_quantizer #(
  parameter int RoundMode  = 0,     // 0 half away, 1 half even, 2 toward zero
  parameter bit FlushSubn  = 1'b0,  // flush subnormal operands and results
  parameter bit WrapInt8   = 1'b0,  // INT8 lane: cvt.s32 then keep the low byte
  parameter int SeBits     = 4,     // dual-scale code bits
  parameter bit SeSymm     = 1'b1   // dual-scale codes in +-(2^(SeBits-1)-1)
) (
  input  logic            clk,
  input  logic            arst_n,
  input  logic            in_vld,
  output logic            in_rdy,
  input  logic [31:0]     in_x,
  input  logic [31:0]     in_inv_scale,
  input  logic [31:0]     cfg_inv_s1,
  input  logic [31:0]     cfg_inv_s12,
  output logic            out_vld,
  input  logic            out_rdy,
  output logic [7:0]      out_q8,
  output logic [SeBits:0] out_qse
);
  initial begin
    if (RoundMode < 0 || RoundMode > 2) $fatal(1, "alt_quantizer: RoundMode %0d", RoundMode);
    if (SeBits < 2 || SeBits > 8) $fatal(1, "alt_quantizer: SeBits %0d", SeBits);
  end

  localparam int Lanes = 3;  // 0: INT8, 1: scale1, 2: scale12
  localparam int Depth = 6;

  // ---- stage 1: operand classes and the exact product ----------------------------
  typedef struct packed {
    logic        neg, nan, inf, zero;
    logic [47:0] p;        // significand product
    logic [10:0] e;        // signed: value = p * 2^e
  } prod_t;

  function automatic prod_t multiply(input logic [31:0] a, input logic [31:0] b);
    prod_t r;
    logic a_sub, b_sub, a_zero, b_zero, a_inf, b_inf, a_nan, b_nan;
    a_sub  = a[30:23] == 8'd0;
    b_sub  = b[30:23] == 8'd0;
    a_zero = a_sub && (a[22:0] == 23'd0 || FlushSubn);
    b_zero = b_sub && (b[22:0] == 23'd0 || FlushSubn);
    a_inf  = a[30:23] == 8'hff && a[22:0] == 23'd0;
    b_inf  = b[30:23] == 8'hff && b[22:0] == 23'd0;
    a_nan  = a[30:23] == 8'hff && a[22:0] != 23'd0;
    b_nan  = b[30:23] == 8'hff && b[22:0] != 23'd0;
    r.neg  = a[31] ^ b[31];
    r.nan  = a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero);
    r.inf  = !r.nan && (a_inf || b_inf);
    r.zero = !r.nan && !r.inf && (a_zero || b_zero);
    r.p    = {!a_sub, a[22:0]} * {!b_sub, b[22:0]};
    // (m_a * 2^(ea' - 150)) * (m_b * 2^(eb' - 150)), e' = max(e, 1)
    r.e    = 11'(a_sub ? 1 : 32'(a[30:23])) + 11'(b_sub ? 1 : 32'(b[30:23])) - 11'd300;
    return r;
  endfunction

  // ---- stage 2: round to the FP32 grid, kept as (R, U) -------------------------------
  typedef struct packed {
    logic        neg, nan, inf, zero;
    logic [24:0] r;        // rounded significand (2^24 after a carry)
    logic [10:0] u;        // signed grid exponent: value = r * 2^u
  } grid_t;

  function automatic grid_t to_grid(input prod_t x);
    grid_t g;
    int lead, u, sh, top;
    logic [47:0] p, q;
    logic guard, sticky;
    p = x.p;
    lead = 0;
    for (int i = 0; i < 48; i++) if (p[i]) lead = i;
    u = $signed(x.e) + lead - 23;
    if (u < -149) u = -149;
    sh = u - $signed(x.e);               // >= lead - 23
    g.neg = x.neg;
    g.nan = x.nan;
    g.inf = x.inf;
    g.zero = x.zero;
    if (sh <= 0) begin
      g.r = 25'(p << (-sh));             // exact: the leading one lands at bit 23 or below
    end else if (sh > 48) begin
      g.r = '0;                          // below half the smallest subnormal
    end else begin
      q = p >> sh;
      guard = p[sh - 1];
      sticky = sh > 1 && (p & ((48'd1 << (sh - 1)) - 48'd1)) != '0;
      g.r = 25'(q) + 25'(guard && (sticky || q[0]));
    end
    g.u = 11'(u);
    top = u + (g.r[24] ? 24 : 23);       // exponent of a normal result
    if (!x.nan && !x.inf && !x.zero) begin
      if (g.r == '0) g.zero = 1'b1;
      else if (top > 127) g.inf = 1'b1;  // overflow
      else if (FlushSubn && g.r < 25'h80_0000 && u == -149) g.zero = 1'b1;  // subnormal result
    end
    return g;
  endfunction

  // ---- stage 3: integer rounding and the code ranges -----------------------------------
  typedef struct packed {
    logic        nan, neg, huge;  // huge: |round(v)| >= 2^31 (incl. Inf)
    logic [31:0] mag;             // |round(v)| when !huge
    logic        tie;             // v was exactly halfway between two integers
  } int_t;

  function automatic int_t to_int(input grid_t g, input logic bug_tie);
    int_t o;
    int n;
    logic [63:0] wide;
    logic [31:0] ip;
    logic [24:0] r;
    logic guard, sticky, inc;
    r = g.r;
    o.nan = g.nan;
    o.neg = g.neg;
    o.huge = g.inf;
    o.mag = '0;
    o.tie = 1'b0;
    if (!g.nan && !g.inf && !g.zero) begin
      if ($signed(g.u) >= 0) begin
        if ($signed(g.u) > 31) o.huge = 1'b1;
        else begin
          wide = 64'(g.r) << g.u;
          o.huge = wide[63:31] != '0;
          o.mag = wide[31:0];
        end
      end else begin
        n = -$signed(g.u);
        if (n >= 26) begin
          ip = '0;
          guard = 1'b0;
          sticky = 1'b1;                 // g.r != 0 here
        end else begin
          ip = 32'(r >> n);
          guard = r[n - 1];
          sticky = n > 1 && (r & ((25'd1 << (n - 1)) - 25'd1)) != '0;
        end
        case (RoundMode)
          0: inc = guard;
          1: inc = guard && (sticky || ip[0]);
          default: inc = 1'b0;
        endcase
        o.tie = guard && !sticky;
        if (bug_tie && o.tie && RoundMode != 2) inc = !inc;
        o.mag = ip + 32'(inc);
        o.huge = o.mag[31];
      end
    end
    return o;
  endfunction

  // {fits, code}: the saturating code in [lo, hi]; fits when nothing was clipped.
  function automatic logic [9:0] saturate(input int_t v, input int lo, input int hi);
    int lim;
    logic fits;
    lim = v.neg ? -lo : hi;
    fits = !v.nan && !v.huge && 32'(v.mag) <= 32'(lim);
    if (v.nan) return '0;
    if (!fits) return {1'b0, 9'(v.neg ? lo : hi)};
    return {1'b1, 9'(v.neg ? -$signed({1'b0, v.mag}) : $signed({1'b0, v.mag}))};
  endfunction

  function automatic logic [7:0] wrap8(input int_t v);
    logic [31:0] i32;
    if (v.nan) return '0;
    if (v.huge) i32 = v.neg ? 32'h8000_0000 : 32'h7fff_ffff;
    else i32 = v.neg ? -v.mag : v.mag;
    return i32[7:0];
  endfunction

  localparam int SeHi = (1 << (SeBits - 1)) - 1;
  localparam int SeLo = SeSymm ? -SeHi : -SeHi - 1;

  // ---- the pipeline: three always-advancing stages --------------------------------------
  logic [2:0]  vld_q;
  prod_t       s1_q [Lanes];
  grid_t       s2_q [Lanes];
  logic [7:0]  q8_d, q8_q;
  logic [SeBits:0] qse_d, qse_q;
  logic [31:0] regs [Lanes];
  assign regs[0] = in_inv_scale;
  assign regs[1] = cfg_inv_s1;
  assign regs[2] = cfg_inv_s12;

  logic accept;
  assign accept = in_vld && in_rdy;

  always_ff @(posedge clk or negedge arst_n) begin
    if (!arst_n) vld_q <= '0;
    else vld_q <= {vld_q[1:0], accept};
  end

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    always_ff @(posedge clk) begin
      if (accept) s1_q[l] <= multiply(in_x, regs[l]);
      s2_q[l] <= to_grid(s1_q[l]);
    end
  end

  always_comb begin
    int_t v8, v1, v12;
    logic [9:0] c8, c1, c12;
`ifdef ALT_BUG_TIE
    v8 = to_int(s2_q[0], 1'b1);
`else
    v8 = to_int(s2_q[0], 1'b0);
`endif
    v1 = to_int(s2_q[1], 1'b0);
    v12 = to_int(s2_q[2], 1'b0);
    c8 = saturate(v8, -128, 127);
    q8_d = WrapInt8 ? wrap8(v8) : c8[7:0];
    c1 = saturate(v1, SeLo, SeHi);
    c12 = saturate(v12, SeLo, SeHi);
    // The flag rule: inlier when round(v1) fits; NaN is the inlier code 0.
    qse_d = (c1[9] || v1.nan) ? {1'b0, c1[SeBits-1:0]} : {1'b1, c12[SeBits-1:0]};
  end

  // Stage 3 register: the codes.
  always_ff @(posedge clk) begin
    q8_q <= q8_d;
    qse_q <= qse_d;
  end

  // ---- output FIFO and the credit check ---------------------------------------------------
  logic [7:0]      fifo_q8  [Depth];
  logic [SeBits:0] fifo_qse [Depth];
  logic [2:0]      rd_q, wr_q, count_q;
  logic            pop;
  logic [2:0]      stalled_q;

  assign out_vld = count_q != '0;
  assign out_q8 = fifo_q8[rd_q];
  assign out_qse = fifo_qse[rd_q];
`ifdef ALT_BUG_DROP
  assign pop = out_vld && (out_rdy || stalled_q == 3'd4);
`else
  assign pop = out_vld && out_rdy;
`endif
  // Credits: what the FIFO holds, what is in flight, and the new element.
  assign in_rdy = 32'(count_q) + 32'(vld_q[0]) + 32'(vld_q[1]) + 32'(vld_q[2]) + 1 <= Depth;

  function automatic logic [2:0] next_ptr(input logic [2:0] p);
    return (32'(p) == Depth - 1) ? 3'd0 : p + 3'd1;
  endfunction

  always_ff @(posedge clk or negedge arst_n) begin
    if (!arst_n) begin
      rd_q <= '0;
      wr_q <= '0;
      count_q <= '0;
      stalled_q <= '0;
    end else begin
      if (vld_q[2]) wr_q <= next_ptr(wr_q);
      if (pop) rd_q <= next_ptr(rd_q);
      count_q <= count_q + 3'(vld_q[2]) - 3'(pop);
      stalled_q <= (out_vld && !out_rdy && !pop) ? stalled_q + 3'd1 : 3'd0;
    end
  end
  always_ff @(posedge clk) begin
    if (vld_q[2]) begin
      fifo_q8[wr_q] <= q8_q;
      fifo_qse[wr_q] <= qse_q;
    end
  end
endmodule
