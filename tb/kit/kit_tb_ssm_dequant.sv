// Verification kit: self-checking testbench of the ssm_dequant contract
// (docs/contracts.md §3); the machinery is kit_common.svh, the structure
// that of kit_tb_conv_out_quantizer.sv.
`timescale 1ns/1ps
module kit_tb_ssm_dequant;
  `include "tb_params.svh"
  localparam KitBlock = "ssm_dequant";
  localparam int KitMaxLatency = mambahw_contract_pkg::DqMaxLatency;
  localparam int InBits = mambahw_contract_pkg::dq_code_bits(CODE_BITS);
  localparam int OutW = 32;

  logic valid_i = 1'b0, ready_o, valid_o;
  logic mode_i = 1'b0;
  logic [InBits-1:0] code_i = '0;
  logic [31:0] scale_i = '0, value_o;
  logic [31:0] se_regs [0:1];
  wire [OutW-1:0] out_bus = value_o;

`define KIT_IDLE_INPUTS begin mode_i = 1'bx; code_i = 'x; scale_i = 'x; end
  `include "kit_common.svh"

  kit_ssm_dequant_adapter #(.Ftz(FTZ), .CodeBits(CODE_BITS)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_i), .ready_o(ready_o), .mode_i(mode_i), .code_i(code_i),
    .scale_i(scale_i), .scale1_i(se_regs[0]), .scale12_i(se_regs[1]), .valid_o(valid_o), .ready_i(kit_ready),
    .value_o(value_o));

  initial begin : driver
    integer f_mode, f_code, f_scale;
    logic [31:0] w_mode, w_code, w_scale;
    #1;
    kit_load_classes();
    $readmemh({dir, "/se_scales.hex"}, se_regs);
`ifdef KIT_DPI
    kit_dpi_open();
`endif
    f_mode = kit_open("mode.hex");
    f_code = kit_open("code.hex");
    f_scale = kit_open("scale.hex");
    kit_reset();
    while ($fscanf(f_mode, "%h\n", w_mode) == 1 && $fscanf(f_code, "%h\n", w_code) == 1 &&
           $fscanf(f_scale, "%h\n", w_scale) == 1) begin
      kit_before_input();
      mode_i = w_mode[0];
      code_i = w_code[InBits-1:0];
      scale_i = w_scale;
      kit_transfer();
    end
    kit_inputs_done();
  end

  initial begin : monitor
    integer f_mode, f_code, f_scale, f_value, cls;
    logic [31:0] s_mode, s_code, s_scale, want;
    #1;
    f_mode = kit_open("mode.hex");
    f_code = kit_open("code.hex");
    f_scale = kit_open("scale.hex");
    f_value = kit_open("value.hex");
    forever begin
      kit_next_output();
      if ($fscanf(f_mode, "%h\n", s_mode) != 1 || $fscanf(f_code, "%h\n", s_code) != 1 ||
          $fscanf(f_scale, "%h\n", s_scale) != 1 || $fscanf(f_value, "%h\n", want) != 1)
        kit_beyond_vectors();
`ifdef KIT_DPI
      kit_dpi_agrees(64'(mh_dequant_respond(golden, s_mode, s_code, s_scale)), 64'(want));
`endif
      cls = kit_class_of(n_out);
      if (value_o !== want)
        kit_mismatch(n_out, cls, $sformatf("mode=%0d code=0x%0h scale=0x%08h", s_mode[0], s_code, s_scale),
                     $sformatf("value=0x%08h", want), $sformatf("value=0x%08h", value_o), "value");
      kit_checked(cls);
    end
  end
endmodule
