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

  `include "kit_common.svh"
`ifdef KIT_DPI
  import mambahw_dpi_pkg::*;
  chandle golden;
  integer dpi_checked = 0;
`endif

  kit_ssm_dequant_adapter #(.Ftz(FTZ), .CodeBits(CODE_BITS)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_i), .ready_o(ready_o), .mode_i(mode_i), .code_i(code_i),
    .scale_i(scale_i), .scale1_i(se_regs[0]), .scale12_i(se_regs[1]), .valid_o(valid_o), .ready_i(kit_ready),
    .value_o(value_o));

  initial begin : driver
    integer f_mode, f_code, f_scale, g;
    logic [31:0] w_mode, w_code, w_scale;
    #1;
    kit_load_classes();
    $readmemh({dir, "/se_scales.hex"}, se_regs);
`ifdef KIT_DPI
    golden = mh_block_open(dir);
    if (golden == null) begin
      $display("FAIL: the golden model over DPI-C cannot read %s: %0s", dir, mh_last_error());
      $finish;
    end
`endif
    f_mode = kit_open("mode.hex");
    f_code = kit_open("code.hex");
    f_scale = kit_open("scale.hex");
    mode_i = 1'bx;
    code_i = 'x;
    scale_i = 'x;
    repeat (3) @(posedge clk);
    @(negedge clk) rst_n = 1'b1;
    while ($fscanf(f_mode, "%h\n", w_mode) == 1 && $fscanf(f_code, "%h\n", w_code) == 1 &&
           $fscanf(f_scale, "%h\n", w_scale) == 1) begin
      g = kit_gap();
      @(negedge clk);
      if (g > 0) begin
        valid_i = 1'b0;
        mode_i = 1'bx;
        code_i = 'x;
        scale_i = 'x;
        repeat (g) @(negedge clk);
      end
      mode_i = w_mode[0];
      code_i = w_code[InBits-1:0];
      scale_i = w_scale;
      valid_i = 1'b1;
      @(posedge clk);
      while (ready_o !== 1'b1) @(posedge clk);
      kit_accepted();
    end
    @(negedge clk);
    valid_i = 1'b0;
    mode_i = 1'bx;
    code_i = 'x;
    scale_i = 'x;
    inputs_done = 1'b1;
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
      @(posedge clk);
      if (rst_n && valid_o === 1'b1 && kit_ready) begin
        if ($fscanf(f_mode, "%h\n", s_mode) != 1 || $fscanf(f_code, "%h\n", s_code) != 1 ||
            $fscanf(f_scale, "%h\n", s_scale) != 1 || $fscanf(f_value, "%h\n", want) != 1) begin
          $display("FAIL: an output transfer beyond the %0d vectors (cycle %0d)", n_out, cycle);
          $finish;
        end
`ifdef KIT_DPI
        begin : dpi_expected
          logic [31:0] g_value;
          g_value = mh_dequant_respond(golden, s_mode, s_code, s_scale);
          if (g_value !== want) begin
            $display("FAIL: vector %0d: the golden model over DPI-C (%h) disagrees with the exported word (%h)",
                     n_out, g_value, want);
            $finish;
          end
          dpi_checked = dpi_checked + 1;
        end
`endif
        cls = kit_class_of(n_out);
        if (value_o !== want)
          kit_mismatch(n_out, cls, $sformatf("mode=%0d code=0x%0h scale=0x%08h", s_mode[0], s_code, s_scale),
                       $sformatf("value=0x%08h", want), $sformatf("value=0x%08h", value_o), "value");
        kit_checked(cls);
        if (inputs_done && n_out == n_in) begin
`ifdef KIT_DPI
          $display("KIT: %0d expected words computed by the golden model over DPI-C, all equal to the export's",
                   dpi_checked);
`endif
          kit_finish();
        end
      end
    end
  end
endmodule
