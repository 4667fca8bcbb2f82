// Self-checking testbench: replays an exported conv_out_quantizer vector
// directory (mambahw export) through the RTL at one vector per cycle and
// compares every response. Prints PASS or FAIL with the first mismatch.
//   iverilog -g2012 -I DIR -o tb.vvp rtl/*.sv tb/vectors/tb_conv_out_quantizer.sv && vvp tb.vvp +VECTORS=DIR
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

  conv_out_quantizer #(.Rounding(ROUNDING), .Ftz(FTZ), .Wrap(WRAP), .CodeBits(CODE_BITS),
                       .Symmetric(SYMMETRIC)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_in), .ready_o(ready_in), .x_i(x), .scale_i(scale),
    .se_scale1_i(se_regs[0]), .se_scale12_i(se_regs[1]), .valid_o(valid_out), .ready_i(1'b1),
    .code_o(code), .se_o(se));

  always #5 clk = ~clk;

  string dir;
  integer f_x, f_scale, f_code, f_se;
  integer n_in = 0, n_out = 0, errors = 0;
  logic inputs_done = 1'b0;

  function automatic integer open_or_die(string name);
    integer fd;
    fd = $fopen({dir, "/", name}, "r");
    if (fd == 0) begin
      $display("FAIL: cannot open %s/%s", dir, name);
      $finish;
    end
    return fd;
  endfunction

  initial begin
    if (!$value$plusargs("VECTORS=%s", dir)) dir = ".";
    if (QUANTIZE_DIVIDE) begin
      $display("FAIL: the vectors use quantize_op divide; this RTL implements multiply_reciprocal");
      $finish;
    end
    $readmemh({dir, "/se_scales.hex"}, se_regs);
    f_x = open_or_die("x.hex");
    f_scale = open_or_die("scale.hex");
    f_code = open_or_die("code.hex");
    f_se = open_or_die("se.hex");
    repeat (2) @(posedge clk);
    rst_n = 1'b1;
  end

  // Driver: present the next vector after each accepted one (inputs change on
  // the falling edge, the DUT samples on the rising edge).
  always @(negedge clk) begin
    if (rst_n && !inputs_done && (!valid_in || ready_in)) begin
      if ($fscanf(f_x, "%h\n", x) == 1 && $fscanf(f_scale, "%h\n", scale) == 1) begin
        valid_in <= 1'b1;
      end else begin
        valid_in <= 1'b0;
        inputs_done <= 1'b1;
      end
    end
  end

  always @(posedge clk) begin
    if (valid_in && ready_in) n_in <= n_in + 1;
  end

  // Checker: each output against the next expected line.
  logic [31:0] want_code, want_se;
  always @(posedge clk) begin
    if (rst_n && valid_out) begin
      if ($fscanf(f_code, "%h\n", want_code) != 1 || $fscanf(f_se, "%h\n", want_se) != 1) begin
        $display("FAIL: more outputs than expected words (vector %0d)", n_out);
        $finish;
      end
      if (code !== want_code[7:0] || se !== want_se[CODE_BITS:0]) begin
        if (errors == 0)
          $display("FAIL: first mismatch at vector %0d (line %0d): code expected %h got %h, se expected %h got %h",
                   n_out, n_out + 1, want_code[7:0], code, want_se[CODE_BITS:0], se);
        errors <= errors + 1;
      end
      n_out <= n_out + 1;
    end
    if (inputs_done && n_out == n_in && n_in > 0) begin
      if (errors == 0) $display("PASS: conv_out_quantizer, %0d vectors", n_out);
      else $display("FAIL: conv_out_quantizer, %0d of %0d vectors mismatch", errors, n_out);
      $finish;
    end
  end
endmodule
