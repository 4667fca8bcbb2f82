// Verification kit: self-checking testbench of the conv_out_quantizer
// contract (docs/contracts.md §2). Drives an exported vector directory
// (mambahw export --block conv_out_quantizer) through the adapter
// kit_conv_out_quantizer_adapter with seeded random input gaps and
// back-pressure, checks every output transfer bit for bit (!==, so X/Z
// fail too) and reports each mismatch with its stimulus, the expected and
// the observed fields, then a summary by vector class (kit_common.svh).
// With +define+KIT_DPI the expected words come from the golden model over
// DPI-C (tools/dpi) and must also equal the exported ones.
`timescale 1ns/1ps
module kit_tb_conv_out_quantizer;
  `include "tb_params.svh"
  localparam KitBlock = "conv_out_quantizer";
  localparam int KitMaxLatency = mambahw_contract_pkg::CoqMaxLatency;
  localparam int OutW = 8 + CODE_BITS + 1;

  logic valid_i = 1'b0, ready_o, valid_o;
  logic [31:0] x_i = '0, scale_i = '0;
  logic [31:0] se_regs [0:1];
  logic [7:0] code_o;
  logic [CODE_BITS:0] se_o;
  wire [OutW-1:0] out_bus = {code_o, se_o};

`define KIT_IDLE_INPUTS begin x_i = 'x; scale_i = 'x; end
  `include "kit_common.svh"

  kit_conv_out_quantizer_adapter #(.Rounding(ROUNDING), .Ftz(FTZ), .Wrap(WRAP), .CodeBits(CODE_BITS),
                                   .Symmetric(SYMMETRIC)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_i), .ready_o(ready_o), .x_i(x_i), .scale_i(scale_i),
    .se_scale1_i(se_regs[0]), .se_scale12_i(se_regs[1]), .valid_o(valid_o), .ready_i(kit_ready),
    .code_o(code_o), .se_o(se_o));

  function automatic string se_text(input logic [CODE_BITS:0] w);
    return $sformatf("se=0x%02h (flag %b, code %0d)", w, w[CODE_BITS], $signed(w[CODE_BITS-1:0]));
  endfunction

  initial begin : driver
    integer f_x, f_scale;
    logic [31:0] w_x, w_scale;
    #1;
    if (QUANTIZE_DIVIDE) begin
      $display("FAIL: the vectors use quantize_op divide; the contract's scale register holds a reciprocal");
      $finish;
    end
    kit_load_classes();
    $readmemh({dir, "/se_scales.hex"}, se_regs);
`ifdef KIT_DPI
    kit_dpi_open();
`endif
    f_x = kit_open("x.hex");
    f_scale = kit_open("scale.hex");
    kit_reset();
    while ($fscanf(f_x, "%h\n", w_x) == 1 && $fscanf(f_scale, "%h\n", w_scale) == 1) begin
      kit_before_input();
      x_i = w_x;
      scale_i = w_scale;
      kit_transfer();
    end
    kit_inputs_done();
  end

  initial begin : monitor
    integer f_x, f_scale, f_code, f_se, cls;
    logic [31:0] s_x, s_scale, want_code, want_se;
    string fields;
    #1;
    f_x = kit_open("x.hex");
    f_scale = kit_open("scale.hex");
    f_code = kit_open("code.hex");
    f_se = kit_open("se.hex");
    forever begin
      kit_next_output();
      if ($fscanf(f_x, "%h\n", s_x) != 1 || $fscanf(f_scale, "%h\n", s_scale) != 1 ||
          $fscanf(f_code, "%h\n", want_code) != 1 || $fscanf(f_se, "%h\n", want_se) != 1)
        kit_beyond_vectors();
`ifdef KIT_DPI
      begin : dpi_expected
        logic [31:0] g_code, g_se;
        mh_quantizer_respond(golden, s_x, s_scale, g_code, g_se);
        kit_dpi_agrees({g_code, g_se}, {want_code, want_se});
      end
`endif
      cls = kit_class_of(n_out);
      fields = "";
      if (code_o !== want_code[7:0]) fields = "code";
      if (se_o !== want_se[CODE_BITS:0]) fields = (fields == "") ? "se" : "code, se";
      if (fields != "")
        kit_mismatch(n_out, cls, $sformatf("x=0x%08h scale_reg=0x%08h", s_x, s_scale),
                     $sformatf("code=0x%02h (%0d) %0s", want_code[7:0], $signed(want_code[7:0]),
                               se_text(want_se[CODE_BITS:0])),
                     $sformatf("code=0x%02h (%0d) %0s", code_o, $signed(code_o), se_text(se_o)), fields);
      kit_checked(cls);
    end
  end
endmodule
