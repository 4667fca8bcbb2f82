// The co-simulation harnesses' input register stage: a valid/ready register
// slice for one beat of element words (Width bits), which takes a beat when
// it is empty or the lanes take the beat it holds, and the lanes'
// quasi-static configuration (ConfigWidth bits), registered every cycle.
// Behind it every input of the lanes is a flop (conv_out_quantizer_lanes.sv
// says why).
module harness_input_stage #(
  parameter int Width       = 32,
  parameter int ConfigWidth = 32
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   valid_i,
  output logic                   ready_o,
  input  logic [Width-1:0]       data_i,
  input  logic [ConfigWidth-1:0] config_i,
  output logic                   valid_o,
  input  logic                   ready_i,
  output logic [Width-1:0]       data_o,
  output logic [ConfigWidth-1:0] config_o
);
  logic valid_q;
  assign ready_o = !valid_q || ready_i;
  assign valid_o = valid_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) valid_q <= 1'b0;
    else if (ready_o) valid_q <= valid_i;
  end
  always_ff @(posedge clk_i) begin
    if (ready_o && valid_i) data_o <= data_i;
    config_o <= config_i;
  end
endmodule
