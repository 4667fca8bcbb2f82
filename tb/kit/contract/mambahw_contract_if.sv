// SystemVerilog interfaces of the block contracts (docs/contracts.md), for
// UVM or plain-SV environments that prefer an interface handle to loose
// signals. Port names are the contract's; `dut` is the implementation's view,
// `tb` the environment's.
interface conv_out_quantizer_if #(
  parameter int CodeBits = 4
) (
  input logic clk_i,
  input logic rst_ni
);
  logic                valid_i, ready_o;
  logic [31:0]         x_i, scale_i, se_scale1_i, se_scale12_i;
  logic                valid_o, ready_i;
  logic [7:0]          code_o;
  logic [CodeBits:0]   se_o;
  modport dut (input clk_i, rst_ni, valid_i, x_i, scale_i, se_scale1_i, se_scale12_i, ready_i,
               output ready_o, valid_o, code_o, se_o);
  modport tb  (input clk_i, rst_ni, ready_o, valid_o, code_o, se_o,
               output valid_i, x_i, scale_i, se_scale1_i, se_scale12_i, ready_i);
endinterface

interface ssm_dequant_if #(
  parameter int CodeBits = 4,
  parameter int InBits   = (CodeBits + 1 > 8) ? CodeBits + 1 : 8
) (
  input logic clk_i,
  input logic rst_ni
);
  logic              valid_i, ready_o, mode_i;
  logic [InBits-1:0] code_i;
  logic [31:0]       scale_i, scale1_i, scale12_i;
  logic              valid_o, ready_i;
  logic [31:0]       value_o;
  modport dut (input clk_i, rst_ni, valid_i, mode_i, code_i, scale_i, scale1_i, scale12_i, ready_i,
               output ready_o, valid_o, value_o);
  modport tb  (input clk_i, rst_ni, ready_o, valid_o, value_o,
               output valid_i, mode_i, code_i, scale_i, scale1_i, scale12_i, ready_i);
endinterface

interface scale_index_lookup_if #(
  parameter int AddrBits = 6
) (
  input logic clk_i,
  input logic rst_ni
);
  logic                we_i;
  logic [1:0]          wsel_i;
  logic [AddrBits-1:0] waddr_i;
  logic [31:0]         wdata_i;
  logic                valid_i, ready_o;
  logic [15:0]         channel_i;
  logic                valid_o, ready_i, found_o;
  logic [6:0]          g_o;
  logic [3:0]          hg_o, dg_o;
  logic [31:0]         scale_o;
  modport dut (input clk_i, rst_ni, we_i, wsel_i, waddr_i, wdata_i, valid_i, channel_i, ready_i,
               output ready_o, valid_o, found_o, g_o, hg_o, dg_o, scale_o);
  modport tb  (input clk_i, rst_ni, ready_o, valid_o, found_o, g_o, hg_o, dg_o, scale_o,
               output we_i, wsel_i, waddr_i, wdata_i, valid_i, channel_i, ready_i);
endinterface
