// Self-checking testbench: loads the exported range tables and scales into
// scale_index_lookup through its write port, replays the exported channels
// and compares the index word and the FP32 scale of every response.
// PARALLEL selects the compare implementation (override with -P / -G).
// DIR/tb_params.svh (written by the export) sets the table shape.
`timescale 1ns/1ps
module tb_scale_index_lookup #(parameter bit PARALLEL = 1'b0);
  `include "tb_params.svh"
  localparam int NHr = GROUPS * HEAD_GROUPS;
  localparam int NCell = GROUPS * HEAD_GROUPS * DIM_GROUPS;
  localparam int AW = $clog2(NCell + 1);

  logic clk = 1'b0, rst_n = 1'b0;
  logic we = 1'b0;
  logic [1:0] wsel = '0;
  logic [AW-1:0] waddr = '0;
  logic [31:0] wdata = '0;
  logic valid_in = 1'b0, ready_in, valid_out, found;
  logic [15:0] channel = '0;
  logic [6:0] g;
  logic [3:0] hg, dg;
  logic [31:0] scale;
  logic [15:0] head_range [0:NHr-1];
  logic [15:0] dim_range [0:NCell-1];
  logic [31:0] x_scales [0:NCell-1];
  integer n_in = 0, n_out = 0, errors = 0;
  logic inputs_done = 1'b0;

  scale_index_lookup #(.Groups(GROUPS), .HeadGroups(HEAD_GROUPS), .DimGroups(DIM_GROUPS),
                       .HeadsPerGroup(HEADS_PER_GROUP), .HeadDim(HEAD_DIM), .Parallel(PARALLEL)) dut (
    .clk_i(clk), .rst_ni(rst_n), .we_i(we), .wsel_i(wsel), .waddr_i(waddr), .wdata_i(wdata),
    .valid_i(valid_in), .ready_o(ready_in), .channel_i(channel), .valid_o(valid_out), .ready_i(1'b1),
    .found_o(found), .g_o(g), .hg_o(hg), .dg_o(dg), .scale_o(scale));

  always #5 clk = ~clk;
  `include "tb_vector_common.svh"

  task automatic write_word(input logic [1:0] sel, input integer addr, input logic [31:0] data);
    @(negedge clk);
    we = 1'b1;
    wsel = sel;
    waddr = AW'(addr);
    wdata = data;
    @(negedge clk);
    we = 1'b0;
  endtask

  // Driver: load the tables, then a new channel after each accepted one.
  initial begin : driver
    integer f_channel, r_channel;
    logic [31:0] w_channel;
    if (!$value$plusargs("VECTORS=%s", dir)) dir = ".";
    $readmemh({dir, "/head_range.hex"}, head_range);
    $readmemh({dir, "/dim_range.hex"}, dim_range);
    $readmemh({dir, "/x_scales.hex"}, x_scales);
    f_channel = open_or_die("channel.hex");
    repeat (2) @(posedge clk);
    rst_n = 1'b1;
    for (int i = 0; i < NHr; i++) write_word(2'd0, i, {16'h0, head_range[i]});
    for (int i = 0; i < NCell; i++) write_word(2'd1, i, {16'h0, dim_range[i]});
    for (int i = 0; i < NCell; i++) write_word(2'd2, i, x_scales[i]);
    while (!inputs_done) begin
      @(posedge clk);
      if (valid_in && ready_in) n_in = n_in + 1;
      if (!valid_in || ready_in) begin
        @(negedge clk);
        r_channel = $fscanf(f_channel, "%h\n", w_channel);
        valid_in = (r_channel == 1);
        inputs_done = !valid_in;
        channel = w_channel[15:0];
      end
    end
  end

  // Monitor: each response against the next expected words.
  initial begin : monitor
    integer f_index, f_scale, r_index, r_scale;
    logic [31:0] want_index, want_scale, got_index;
    #1;
    f_index = open_or_die("index.hex");
    f_scale = open_or_die("scale.hex");
    forever begin
      @(posedge clk);
      if (rst_n && valid_out) begin
        r_index = $fscanf(f_index, "%h\n", want_index);
        r_scale = $fscanf(f_scale, "%h\n", want_scale);
        if (r_index != 1 || r_scale != 1) begin
          $display("FAIL: more outputs than expected words (vector %0d)", n_out);
          $finish;
        end
        got_index = {16'h0, found, g, hg, dg};
        if (got_index !== want_index || scale !== want_scale) begin
          if (errors == 0)
            $display("FAIL: first mismatch at vector %0d (line %0d): index expected %h got %h, scale expected %h got %h",
                     n_out, n_out + 1, want_index[15:0], got_index[15:0], want_scale, scale);
          errors = errors + 1;
        end
        n_out = n_out + 1;
      end
      if (inputs_done && n_out == n_in && n_in > 0) begin
        if (errors == 0) $display("PASS: scale_index_lookup (Parallel=%0d), %0d vectors", PARALLEL, n_out);
        else $display("FAIL: scale_index_lookup, %0d of %0d vectors mismatch", errors, n_out);
        $finish;
      end
    end
  end
endmodule
