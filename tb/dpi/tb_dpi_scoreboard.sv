// A plain-SV scoreboard on the golden model over DPI-C (tools/dpi): no
// exported files. First the DPI functions against values derived by hand
// from docs/arithmetic.md; then constrained-random stimulus made here in SV
// streams through mambahw's conv_out_quantizer and ssm_dequant with random
// back-pressure, and every output is compared with the golden model called
// on the fly (the RTL and the C++ golden model are the two producers).
// +N=count per block (default 100000), +SEED=n.
`timescale 1ns/1ps
module tb_dpi_scoreboard;
  import mambahw_dpi_pkg::*;

  logic clk_i = 1'b0, rst_ni = 1'b0;
  always #5 clk_i = ~clk_i;
  integer n, seed, errors = 0;
  logic [63:0] rng;

  function automatic logic [31:0] rand32();
    rng = rng ^ (rng << 13);
    rng = rng ^ (rng >> 7);
    rng = rng ^ (rng << 17);
    return rng[63:32];
  endfunction

  task automatic expect_eq(input string what, input logic [31:0] got, input logic [31:0] want);
    if (got !== want) begin
      $display("FAIL: %0s = 0x%08h, expected 0x%08h", what, got, want);
      errors = errors + 1;
    end
  endtask

  // ---- the two DUTs: W4A5-SE quantizer (half away) and the 4-bit dequant stage
  localparam logic [31:0] InvScale1 = 32'h41200000;   // 10.0  = 1/0.1 as the scale1 register
  localparam logic [31:0] InvScale12 = 32'h40200000;  // 2.5   = 1/0.4 (K = 4)
  localparam logic [31:0] Scale1 = 32'h3dcccccd;      // 0.1
  localparam logic [31:0] Scale12 = 32'h3ecccccd;     // fp32(0.1 * 4)
  logic q_valid_i = 1'b0, q_ready_o, q_valid_o, q_ready_i = 1'b1;
  logic [31:0] q_x = '0, q_reg = '0;
  logic [7:0] q_code;
  logic [4:0] q_se;
  conv_out_quantizer #(.Rounding(0), .CodeBits(4)) u_q (
    .clk_i, .rst_ni, .valid_i(q_valid_i), .ready_o(q_ready_o), .x_i(q_x), .scale_i(q_reg),
    .se_scale1_i(InvScale1), .se_scale12_i(InvScale12), .valid_o(q_valid_o), .ready_i(q_ready_i),
    .code_o(q_code), .se_o(q_se));

  logic d_valid_i = 1'b0, d_ready_o, d_valid_o, d_ready_i = 1'b1, d_mode = 1'b0;
  logic [7:0] d_code = '0;
  logic [31:0] d_scale = '0, d_value;
  ssm_dequant #(.CodeBits(4)) u_d (
    .clk_i, .rst_ni, .valid_i(d_valid_i), .ready_o(d_ready_o), .mode_i(d_mode), .code_i(d_code),
    .scale_i(d_scale), .scale1_i(Scale1), .scale12_i(Scale12), .valid_o(d_valid_o), .ready_i(d_ready_i),
    .value_o(d_value));

  // Expected words, queued in input order (the DUTs are in-order).
  logic [31:0] q_want_code [$], q_want_se [$], q_stim [$], d_want [$];
  integer q_seen = 0, d_seen = 0;

  always @(negedge clk_i) begin
    q_ready_i = (rand32() % 100) >= 30;
    d_ready_i = (rand32() % 100) >= 30;
  end

  always @(posedge clk_i) begin
    if (rst_ni && q_valid_o && q_ready_i) begin
      if (q_code !== q_want_code[0][7:0] || q_se !== q_want_se[0][4:0]) begin
        if (errors < 10)
          $display("FAIL: quantizer x=0x%08h reg=0x%08h: code %h se %h, golden %h %h", q_stim[0][31:0], q_reg,
                   q_code, q_se, q_want_code[0][7:0], q_want_se[0][4:0]);
        errors = errors + 1;
      end
      void'(q_want_code.pop_front());
      void'(q_want_se.pop_front());
      void'(q_stim.pop_front());
      q_seen = q_seen + 1;
    end
    if (rst_ni && d_valid_o && d_ready_i) begin
      if (d_value !== d_want[0]) begin
        if (errors < 10) $display("FAIL: dequant: value %h, golden %h", d_value, d_want[0]);
        errors = errors + 1;
      end
      void'(d_want.pop_front());
      d_seen = d_seen + 1;
    end
  end

  initial begin
    logic [31:0] x, reg_, kind;  // reg_: the INT8 scale register
    integer code;
    if (!$value$plusargs("N=%d", n)) n = 100000;
    if (!$value$plusargs("SEED=%d", seed)) seed = 1;
    rng = 64'h2545_f491_4f6c_dd1d ^ 64'(seed);

    // Hand-derived values (docs/arithmetic.md §4, §5, §7, §3, layer.md).
    expect_eq("quantize(2.5, 1) half away", 32'(mh_quantize(32'h40200000, 32'h3f800000, 32'h3f800000, 0, 0, 0, 0)), 3);
    expect_eq("quantize(2.5, 1) half even", 32'(mh_quantize(32'h40200000, 32'h3f800000, 32'h3f800000, 1, 0, 0, 0)), 2);
    expect_eq("quantize(-2.5, 1) toward zero", 32'(mh_quantize(32'hc0200000, 32'h3f800000, 32'h3f800000, 2, 0, 0, 0)), -2);
    expect_eq("quantize(127.5) saturates", 32'(mh_quantize(32'h42ff0000, 32'h3f800000, 32'h3f800000, 0, 0, 0, 0)), 127);
    expect_eq("quantize(127.5) wraps", 32'(mh_quantize(32'h42ff0000, 32'h3f800000, 32'h3f800000, 0, 0, 1, 0)), -128);
    expect_eq("quantize(200) wraps", 32'(mh_quantize(32'h43480000, 32'h3f800000, 32'h3f800000, 0, 0, 1, 0)), -56);
    expect_eq("quantize(NaN)", 32'(mh_quantize(32'h7fc00000, 32'h3f800000, 32'h3f800000, 0, 0, 0, 0)), 0);
    // The pinned example of §4: x = -0x1.94ccccp+3, scale 0.1f: -127 by reciprocal, -126 by divide.
    expect_eq("pinned reciprocal", 32'(mh_quantize(32'hc14a6666, 32'h3dcccccd, 32'h41200000, 0, 0, 0, 0)), -127);
    expect_eq("pinned divide", 32'(mh_quantize(32'hc14a6666, 32'h3dcccccd, 32'h41200000, 0, 1, 0, 0)), -126);
    expect_eq("pack(-3 inlier)", mh_pack_dual(-3, 0, 4), 32'h0d);
    expect_eq("pack(7 outlier)", mh_pack_dual(7, 1, 4), 32'h17);
    // 0.25 / 0.1 = 2.5 -> 3 (inlier); 1.0 / 0.1 = 10 -> outlier, 1.0 / 0.4 = 2.5 -> 3
    expect_eq("dual(0.25)", mh_quantize_dual(32'h3e800000, 4, 1, Scale1, Scale12, InvScale1, InvScale12, 0, 0, 0), 32'h03);
    expect_eq("dual(1.0)", mh_quantize_dual(32'h3f800000, 4, 1, Scale1, Scale12, InvScale1, InvScale12, 0, 0, 0), 32'h13);
    expect_eq("dequant(-3, 0.5)", mh_dequant(-3, 32'h3f000000, 0), 32'hbfc00000);
    expect_eq("dequant(0, Inf) is the canonical NaN", mh_dequant(0, 32'h7f800000, 0), 32'h7fc00000);
    expect_eq("dequant_dual(0x17): 7 * scale12", mh_dequant_dual(32'h17, 4, 32'h3f000000, 32'h40000000, 0), 32'h41600000);
    expect_eq("fp16(65520) overflows", mh_fp32_to_fp16(32'h477ff000), 32'h7c00);
    expect_eq("fp16(65504)", mh_fp32_to_fp16(32'h477fe000), 32'h7bff);
    expect_eq("fp16(2^-25) ties to 0", mh_fp32_to_fp16(32'h33000000), 32'h0000);
    expect_eq("exp(0)", mh_exp_unit(32'h00000000, 0), 32'h3f800000);
    expect_eq("exp(90) overflows", mh_exp_unit(32'h42b40000, 0), 32'h7f800000);
    expect_eq("exp(-105) underflows", mh_exp_unit(32'hc2d20000, 0), 32'h00000000);
    expect_eq("exp(NaN)", mh_exp_unit(32'hffc00001, 0), 32'h7fc00000);
    expect_eq("silu(0)", mh_silu(32'h00000000, 0, 1), 32'h00000000);
    expect_eq("silu(-0)", mh_silu(32'h80000000, 0, 1), 32'h80000000);
    expect_eq("log1p(0)", mh_log1p_unit(32'h00000000, 0), 32'h00000000);
    expect_eq("log1p(-1)", mh_log1p_unit(32'hbf800000, 0), 32'hff800000);
    expect_eq("softplus(30) passes the threshold", mh_softplus(32'h41f00000, 1, 0), 32'h41f00000);
    if (errors != 0) begin
      $display("FAIL: %0d hand-derived values differ", errors);
      $finish;
    end
    $display("DPI: 29 hand-derived values match");

    repeat (3) @(posedge clk_i);
    @(negedge clk_i) rst_ni = 1'b1;
    fork
      for (int i = 0; i < n; i++) begin : quantizer_stream
        kind = rand32() % 8;
        reg_ = (rand32() % 2) ? InvScale1 : 32'h3f800000 + ((rand32() % 64) << 23) - (32 << 23);  // 2^-32 .. 2^31
        x = rand32();  // arbitrary bits, or |x| in [2^-17, 2^14), or tiny and subnormal values
        if (kind >= 2 && kind < 6) x = {x[31], 8'(8'd110 + 8'(x[30:23] % 31)), x[22:0]};
        else if (kind >= 6) x = x & 32'h80ff_ffff;
        @(negedge clk_i);
        q_x = x;
        q_reg = reg_;
        q_valid_i = 1'b1;
        q_stim.push_back(x);
        q_want_code.push_back(32'(mh_quantize(x, 32'h0, reg_, 0, 0, 0, 0)));
        q_want_se.push_back(mh_quantize_dual(x, 4, 1, Scale1, Scale12, InvScale1, InvScale12, 0, 0, 0));
        @(posedge clk_i);
        while (!q_ready_o) @(posedge clk_i);
        @(negedge clk_i) q_valid_i = 1'b0;
      end
      for (int i = 0; i < n; i++) begin : dequant_stream
        d_mode = rand32() % 4 == 0;
        code = d_mode ? int'(rand32() % 32) : int'(rand32() % 256) - 128;
        d_code = 8'(code);
        d_scale = d_mode ? 32'h0 : 32'h3f800000 + ((rand32() % 120) << 23) - (60 << 23);
        d_scale = d_scale | (rand32() & 32'h7f_ffff);
        @(negedge clk_i);
        d_valid_i = 1'b1;
        d_want.push_back(d_mode ? mh_dequant_dual(32'(d_code), 4, Scale1, Scale12, 0) : mh_dequant(code, d_scale, 0));
        @(posedge clk_i);
        while (!d_ready_o) @(posedge clk_i);
        @(negedge clk_i) d_valid_i = 1'b0;
      end
    join
    while (q_seen < n || d_seen < n) @(posedge clk_i);
    if (errors == 0) $display("PASS: DPI scoreboard, %0d quantizer and %0d dequant transactions against the golden model", q_seen, d_seen);
    else $display("FAIL: %0d mismatches", errors);
    $finish;
  end
endmodule
