// Self-checking testbench: replays an exported conv_out_quantizer vector
// directory (mambahw export) through the RTL at one vector per cycle and
// compares both outputs (INT8 code, dual-scale word) of every vector bit for
// bit. Prints PASS or FAIL with the first mismatch.
// DIR/tb_params.svh (written by the export) sets the matching RTL parameters.
`timescale 1ns/1ps
module tb_conv_out_quantizer;
  `include "tb_params.svh"

  logic clk = 1'b0, rst_n = 1'b0;
  logic valid_in = 1'b0, ready_in, valid_out;
  logic [31:0] x = '0, scale = '0;
  logic [31:0] se_regs [0:1];
  logic [7:0] code;
  logic [CODE_BITS:0] se;
  integer n_in = 0, n_out = 0, errors = 0;
  logic inputs_done = 1'b0;

  conv_out_quantizer #(.Rounding(ROUNDING), .Ftz(FTZ), .Wrap(WRAP), .CodeBits(CODE_BITS),
                       .Symmetric(SYMMETRIC)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_in), .ready_o(ready_in), .x_i(x), .scale_i(scale),
    .se_scale1_i(se_regs[0]), .se_scale12_i(se_regs[1]), .valid_o(valid_out), .ready_i(1'b1),
    .code_o(code), .se_o(se));

  always #5 clk = ~clk;
  `include "tb_vector_common.svh"

  // Driver: a new vector after each accepted one; inputs change on the falling edge.
  initial begin : driver
    integer f_x, f_scale, r_x, r_scale;
    logic [31:0] w_x, w_scale;
    if (!$value$plusargs("VECTORS=%s", dir)) dir = ".";
    if (QUANTIZE_DIVIDE) begin
      $display("FAIL: the vectors use quantize_op divide; this RTL implements multiply_reciprocal");
      $finish;
    end
    $readmemh({dir, "/se_scales.hex"}, se_regs);
    f_x = open_or_die("x.hex");
    f_scale = open_or_die("scale.hex");
    repeat (2) @(posedge clk);
    rst_n = 1'b1;
    while (!inputs_done) begin
      @(posedge clk);
      if (valid_in && ready_in) n_in = n_in + 1;
      if (!valid_in || ready_in) begin
        @(negedge clk);
        r_x = $fscanf(f_x, "%h\n", w_x);
        r_scale = $fscanf(f_scale, "%h\n", w_scale);
        valid_in = (r_x == 1 && r_scale == 1);
        inputs_done = !valid_in;
        x = w_x;
        scale = w_scale;
      end
    end
  end

  // Monitor: each response against the next expected words.
  initial begin : monitor
    integer f_code, f_se, r_code, r_se;
    logic [31:0] want_code, want_se;
    #1;
    f_code = open_or_die("code.hex");
    f_se = open_or_die("se.hex");
    forever begin
      @(posedge clk);
      if (rst_n && valid_out) begin
        r_code = $fscanf(f_code, "%h\n", want_code);
        r_se = $fscanf(f_se, "%h\n", want_se);
        if (r_code != 1 || r_se != 1) begin
          $display("FAIL: more outputs than expected words (vector %0d)", n_out);
          $finish;
        end
        if (code !== want_code[7:0] || se !== want_se[CODE_BITS:0]) begin
          if (errors == 0)
            $display("FAIL: first mismatch at vector %0d (line %0d): code expected %h got %h, se expected %h got %h",
                     n_out, n_out + 1, want_code[7:0], code, want_se[CODE_BITS:0], se);
          errors = errors + 1;
        end
        n_out = n_out + 1;
      end
      if (inputs_done && n_out == n_in && n_in > 0) begin
        if (errors == 0) $display("PASS: conv_out_quantizer, %0d vectors", n_out);
        else $display("FAIL: conv_out_quantizer, %0d of %0d vectors mismatch", errors, n_out);
        $finish;
      end
    end
  end
endmodule
