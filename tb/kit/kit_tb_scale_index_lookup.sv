// Verification kit: self-checking testbench of the scale_index_lookup
// contract (docs/contracts.md §4). Loads the exported range tables and
// scales through the table write port, then streams the channels; the
// machinery is kit_common.svh. PARALLEL selects the project RTL's compare
// implementation (a parameter of the default adapter; -P/-G overrides it).
`timescale 1ns/1ps
module kit_tb_scale_index_lookup #(parameter bit PARALLEL = 1'b0);
  `include "tb_params.svh"
  localparam KitBlock = "scale_index_lookup";
  localparam int KitMaxLatency = mambahw_contract_pkg::LkMaxLatency;
  localparam int NHr = GROUPS * HEAD_GROUPS;
  localparam int NCell = GROUPS * HEAD_GROUPS * DIM_GROUPS;
  localparam int AW = $clog2(NCell + 1);
  localparam int OutW = 48;

  logic valid_i = 1'b0, ready_o, valid_o, found_o;
  logic we = 1'b0;
  logic [1:0] wsel = '0;
  logic [AW-1:0] waddr = '0;
  logic [31:0] wdata = '0;
  logic [15:0] channel_i = '0;
  logic [6:0] g_o;
  logic [3:0] hg_o, dg_o;
  logic [31:0] scale_o;
  logic [15:0] head_range [0:NHr-1];
  logic [15:0] dim_range [0:NCell-1];
  logic [31:0] x_scales [0:NCell-1];
  wire [15:0] index_o = {found_o, g_o, hg_o, dg_o};
  wire [OutW-1:0] out_bus = {index_o, scale_o};

`define KIT_IDLE_INPUTS begin channel_i = 'x; end
  `include "kit_common.svh"

  kit_scale_index_lookup_adapter #(.Groups(GROUPS), .HeadGroups(HEAD_GROUPS), .DimGroups(DIM_GROUPS),
                                   .HeadsPerGroup(HEADS_PER_GROUP), .HeadDim(HEAD_DIM), .Parallel(PARALLEL)) dut (
    .clk_i(clk), .rst_ni(rst_n), .we_i(we), .wsel_i(wsel), .waddr_i(waddr), .wdata_i(wdata),
    .valid_i(valid_i), .ready_o(ready_o), .channel_i(channel_i), .valid_o(valid_o), .ready_i(kit_ready),
    .found_o(found_o), .g_o(g_o), .hg_o(hg_o), .dg_o(dg_o), .scale_o(scale_o));

  task automatic write_word(input logic [1:0] sel, input integer addr, input logic [31:0] data);
    @(negedge clk);
    we = 1'b1;
    wsel = sel;
    waddr = AW'(addr);
    wdata = data;
    @(negedge clk);
    we = 1'b0;
  endtask

  initial begin : driver
    integer f_channel;
    logic [31:0] w_channel;
    #1;
    kit_load_classes();
    $readmemh({dir, "/head_range.hex"}, head_range);
    $readmemh({dir, "/dim_range.hex"}, dim_range);
    $readmemh({dir, "/x_scales.hex"}, x_scales);
`ifdef KIT_DPI
    kit_dpi_open();
`endif
    f_channel = kit_open("channel.hex");
    kit_reset();
    for (int i = 0; i < NHr; i++) write_word(2'd0, i, {16'h0, head_range[i]});
    for (int i = 0; i < NCell; i++) write_word(2'd1, i, {16'h0, dim_range[i]});
    for (int i = 0; i < NCell; i++) write_word(2'd2, i, x_scales[i]);
    while ($fscanf(f_channel, "%h\n", w_channel) == 1) begin
      kit_before_input();
      channel_i = w_channel[15:0];
      kit_transfer();
    end
    kit_inputs_done();
  end

  initial begin : monitor
    integer f_channel, f_index, f_scale, cls;
    logic [31:0] s_channel, want_index, want_scale;
    string fields;
    #1;
    f_channel = kit_open("channel.hex");
    f_index = kit_open("index.hex");
    f_scale = kit_open("scale.hex");
    forever begin
      kit_next_output();
      if ($fscanf(f_channel, "%h\n", s_channel) != 1 || $fscanf(f_index, "%h\n", want_index) != 1 ||
          $fscanf(f_scale, "%h\n", want_scale) != 1)
        kit_beyond_vectors();
`ifdef KIT_DPI
      begin : dpi_expected
        logic [31:0] g_index, g_scale;
        mh_lookup_respond(golden, s_channel, g_index, g_scale);
        kit_dpi_agrees({g_index, g_scale}, {want_index, want_scale});
      end
`endif
      cls = kit_class_of(n_out);
      fields = "";
      if (index_o !== want_index[15:0]) fields = "index";
      if (scale_o !== want_scale) fields = (fields == "") ? "scale" : "index, scale";
      if (fields != "")
        kit_mismatch(n_out, cls, $sformatf("channel=%0d", s_channel[15:0]),
                     $sformatf("found=%b g=%0d hg=%0d dg=%0d scale=0x%08h", want_index[15], want_index[14:8],
                               want_index[7:4], want_index[3:0], want_scale),
                     $sformatf("found=%b g=%0d hg=%0d dg=%0d scale=0x%08h", found_o, g_o, hg_o, dg_o, scale_o),
                     fields);
      kit_checked(cls);
    end
  end
endmodule
