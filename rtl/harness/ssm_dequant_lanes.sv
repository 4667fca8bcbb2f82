// Co-simulation harness (not part of the accelerator's RTL): Lanes
// ssm_dequant instances side by side behind one input register stage, for
// the SystemC model (model/src/rtl_blocks.cpp); the reason and the handshake
// are conv_out_quantizer_lanes.sv's. The harness adds one cycle of latency.
//   lane l: code_i[16l +: InBits], scale_i[32l +: 32] -> value_o[32l +: 32]
// mode_i, scale1_i and scale12_i are registered every cycle (quasi-static).
module ssm_dequant_lanes #(
  parameter int Lanes    = 4,
  parameter bit Ftz      = 1'b0,
  parameter int CodeBits = 4,
  parameter int InBits   = (CodeBits + 1 > 8) ? CodeBits + 1 : 8
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                valid_i,
  output logic                ready_o,
  input  logic                mode_i,
  input  logic [Lanes*16-1:0] code_i,
  input  logic [Lanes*32-1:0] scale_i,
  input  logic [31:0]         scale1_i,
  input  logic [31:0]         scale12_i,
  output logic                valid_o,
  input  logic                ready_i,
  output logic [Lanes*32-1:0] value_o
);
  logic                in_valid, core_ready, mode_q;
  logic [Lanes*16-1:0] code_q;
  logic [Lanes*32-1:0] scale_q;
  logic [31:0]         scale1_q, scale12_q;

  harness_input_stage #(.Width(Lanes * 48), .ConfigWidth(65)) u_input (
    .clk_i, .rst_ni,
    .valid_i, .ready_o,
    .data_i({code_i, scale_i}), .config_i({mode_i, scale1_i, scale12_i}),
    .valid_o(in_valid), .ready_i(core_ready),
    .data_o({code_q, scale_q}), .config_o({mode_q, scale1_q, scale12_q})
  );

  logic [Lanes-1:0] lane_ready, lane_valid;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    ssm_dequant #(.Ftz(Ftz), .CodeBits(CodeBits), .InBits(InBits)) u_dequant (
      .clk_i, .rst_ni,
      .valid_i(in_valid), .ready_o(lane_ready[l]),
      .mode_i(mode_q), .code_i(code_q[16*l +: InBits]), .scale_i(scale_q[32*l +: 32]),
      .scale1_i(scale1_q), .scale12_i(scale12_q),
      .valid_o(lane_valid[l]), .ready_i,
      .value_o(value_o[32*l +: 32])
    );
  end
  assign core_ready = lane_ready[0];
  assign valid_o    = lane_valid[0];

  logic unused_lanes;  // the other lanes' handshake equals lane 0's
  assign unused_lanes = ^{lane_ready, lane_valid, code_q};  // code_q: the slots' bits above InBits
endmodule
