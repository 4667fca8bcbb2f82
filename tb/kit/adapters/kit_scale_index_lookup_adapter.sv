// Verification-kit adapter for the scale_index_lookup contract
// (docs/contracts.md §4); see kit_conv_out_quantizer_adapter.sv for how to
// adapt it. The table write port loads the range tables before the first
// lookup.
`ifndef KIT_DUT_TOP
  `define KIT_DUT_TOP scale_index_lookup
`endif
module kit_scale_index_lookup_adapter #(
  parameter int Groups        = 1,
  parameter int HeadGroups    = 4,
  parameter int DimGroups     = 4,
  parameter int HeadsPerGroup = 24,
  parameter int HeadDim       = 64,
  parameter bit Parallel      = 1'b0,
  localparam int AW = $clog2(Groups * HeadGroups * DimGroups + 1)
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          we_i,
  input  logic [1:0]    wsel_i,
  input  logic [AW-1:0] waddr_i,
  input  logic [31:0]   wdata_i,
  input  logic          valid_i,
  output logic          ready_o,
  input  logic [15:0]   channel_i,
  output logic          valid_o,
  input  logic          ready_i,
  output logic          found_o,
  output logic [6:0]    g_o,
  output logic [3:0]    hg_o,
  output logic [3:0]    dg_o,
  output logic [31:0]   scale_o
);
  `KIT_DUT_TOP
`ifndef KIT_DUT_NO_PARAMS
  #(.Groups(Groups), .HeadGroups(HeadGroups), .DimGroups(DimGroups), .HeadsPerGroup(HeadsPerGroup),
    .HeadDim(HeadDim), .Parallel(Parallel))
`endif
  u_dut (
    .clk_i, .rst_ni, .we_i, .wsel_i, .waddr_i, .wdata_i, .valid_i, .ready_o, .channel_i,
    .valid_o, .ready_i, .found_o, .g_o, .hg_o, .dg_o, .scale_o
  );
endmodule
