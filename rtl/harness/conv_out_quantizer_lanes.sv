// Co-simulation harness (not part of the accelerator's RTL): Lanes
// conv_out_quantizer instances side by side behind one input register stage,
// for the SystemC model, which streams a tile's elements through the block
// (model/src/rtl_blocks.cpp). Why: a Verilated model evaluates its
// input-combinational logic on every eval(), twice per clock, and the
// quantizer's three multipliers read its inputs directly; behind the
// harness's registers every multiplier reads flops and is evaluated once per
// rising edge, and one eval() pair carries Lanes elements. Each lane is the
// unchanged block; the lanes share valid/ready (they hold the same state) and
// the harness adds one cycle of latency, which the model subtracts.
//   lane l: x_i[32l +: 32], scale_i[32l +: 32] -> code_o[8l +: 8],
//           se_o[16l +: 16] = the block's {flag, code}, zero-extended
// se_scale1_i / se_scale12_i are registered every cycle (quasi-static).
module conv_out_quantizer_lanes #(
  parameter int Lanes     = 4,
  parameter int Rounding  = mambahw_pkg::RoundHalfAway,
  parameter bit Ftz       = 1'b0,
  parameter bit Wrap      = 1'b0,
  parameter int CodeBits  = 4,
  parameter bit Symmetric = 1'b1
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                valid_i,
  output logic                ready_o,
  input  logic [Lanes*32-1:0] x_i,
  input  logic [Lanes*32-1:0] scale_i,
  input  logic [31:0]         se_scale1_i,
  input  logic [31:0]         se_scale12_i,
  output logic                valid_o,
  input  logic                ready_i,
  output logic [Lanes*8-1:0]  code_o,
  output logic [Lanes*16-1:0] se_o
);
  logic                in_valid, core_ready;
  logic [Lanes*32-1:0] x_q, scale_q;
  logic [31:0]         se_scale1_q, se_scale12_q;

  harness_input_stage #(.Width(Lanes * 64), .ConfigWidth(64)) u_input (
    .clk_i, .rst_ni,
    .valid_i, .ready_o,
    .data_i({x_i, scale_i}), .config_i({se_scale1_i, se_scale12_i}),
    .valid_o(in_valid), .ready_i(core_ready),
    .data_o({x_q, scale_q}), .config_o({se_scale1_q, se_scale12_q})
  );

  logic [Lanes-1:0] lane_ready, lane_valid;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [CodeBits:0] se;
    conv_out_quantizer #(
      .Rounding(Rounding), .Ftz(Ftz), .Wrap(Wrap), .CodeBits(CodeBits), .Symmetric(Symmetric)
    ) u_quantizer (
      .clk_i, .rst_ni,
      .valid_i(in_valid), .ready_o(lane_ready[l]),
      .x_i(x_q[32*l +: 32]), .scale_i(scale_q[32*l +: 32]),
      .se_scale1_i(se_scale1_q), .se_scale12_i(se_scale12_q),
      .valid_o(lane_valid[l]), .ready_i,
      .code_o(code_o[8*l +: 8]), .se_o(se)
    );
    assign se_o[16*l +: 16] = 16'(se);
  end
  assign core_ready = lane_ready[0];
  assign valid_o    = lane_valid[0];

  logic unused_lanes;  // the other lanes' handshake equals lane 0's
  assign unused_lanes = ^{lane_ready, lane_valid};
endmodule
