// Self-checking testbench: replays an exported ssm_dequant vector directory
// (mambahw export) through the RTL at one vector per cycle and compares every
// FP32 result bit for bit. Prints PASS or FAIL with the first mismatch.
// DIR/tb_params.svh (written by the export) sets the matching RTL parameters.
`timescale 1ns/1ps
module tb_ssm_dequant;
  `include "tb_params.svh"
  localparam int InBits = (CODE_BITS + 1 > 8) ? CODE_BITS + 1 : 8;

  logic clk = 1'b0, rst_n = 1'b0;
  logic valid_in = 1'b0, ready_in, valid_out;
  logic mode = 1'b0;
  logic [InBits-1:0] code = '0;
  logic [31:0] scale = '0, value;
  logic [31:0] se_regs [0:1];
  integer n_in = 0, n_out = 0, errors = 0;
  logic inputs_done = 1'b0;

  ssm_dequant #(.Ftz(FTZ), .CodeBits(CODE_BITS)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_in), .ready_o(ready_in), .mode_i(mode),
    .code_i(code), .scale_i(scale), .scale1_i(se_regs[0]), .scale12_i(se_regs[1]),
    .valid_o(valid_out), .ready_i(1'b1), .value_o(value));

  always #5 clk = ~clk;
  `include "tb_vector_common.svh"

  // Driver: a new vector after each accepted one; inputs change on the falling edge.
  initial begin : driver
    integer f_mode, f_code, f_scale, r_mode, r_code, r_scale;
    logic [31:0] w_mode, w_code, w_scale;
    if (!$value$plusargs("VECTORS=%s", dir)) dir = ".";
    $readmemh({dir, "/se_scales.hex"}, se_regs);
    f_mode = open_or_die("mode.hex");
    f_code = open_or_die("code.hex");
    f_scale = open_or_die("scale.hex");
    repeat (2) @(posedge clk);
    rst_n = 1'b1;
    while (!inputs_done) begin
      @(posedge clk);
      if (valid_in && ready_in) n_in = n_in + 1;
      if (!valid_in || ready_in) begin
        @(negedge clk);
        r_mode = $fscanf(f_mode, "%h\n", w_mode);
        r_code = $fscanf(f_code, "%h\n", w_code);
        r_scale = $fscanf(f_scale, "%h\n", w_scale);
        valid_in = (r_mode == 1 && r_code == 1 && r_scale == 1);
        inputs_done = !valid_in;
        mode = w_mode[0];
        code = w_code[InBits-1:0];
        scale = w_scale;
      end
    end
  end

  // Checker: each response against the next expected word.
  initial begin : monitor
    integer f_value, r_value;
    logic [31:0] want;
    #1 f_value = open_or_die("value.hex");
    forever begin
      @(posedge clk);
      if (rst_n && valid_out) begin
        r_value = $fscanf(f_value, "%h\n", want);
        if (r_value != 1) begin
          $display("FAIL: more outputs than expected words (vector %0d)", n_out);
          $finish;
        end
        if (value !== want) begin
          if (errors == 0)
            $display("FAIL: first mismatch at vector %0d (line %0d): value expected %h got %h",
                     n_out, n_out + 1, want, value);
          errors = errors + 1;
        end
        n_out = n_out + 1;
      end
      if (inputs_done && n_out == n_in && n_in > 0) begin
        if (errors == 0) $display("PASS: ssm_dequant, %0d vectors", n_out);
        else $display("FAIL: ssm_dequant, %0d of %0d vectors mismatch", errors, n_out);
        $finish;
      end
    end
  end
endmodule
