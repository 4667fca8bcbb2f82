// Verification kit: self-checking testbench of the conv_out_quantizer
// contract (docs/contracts.md §2). Drives an exported vector directory
// (mambahw export --block conv_out_quantizer) through the adapter
// kit_conv_out_quantizer_adapter with seeded random input gaps and
// back-pressure, checks every output transfer bit for bit (!==, so X/Z
// fail too) and reports each mismatch with its stimulus, the expected and
// the observed fields, then a summary by vector class (kit_common.svh).
// With +define+KIT_DPI the expected words come from the golden model over
// DPI-C (tools/dpi) and are also checked against the exported ones.
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

  `include "kit_common.svh"
`ifdef KIT_DPI
  import mambahw_dpi_pkg::*;
  chandle golden;
  integer dpi_checked = 0;
`endif

  kit_conv_out_quantizer_adapter #(.Rounding(ROUNDING), .Ftz(FTZ), .Wrap(WRAP), .CodeBits(CODE_BITS),
                                   .Symmetric(SYMMETRIC)) dut (
    .clk_i(clk), .rst_ni(rst_n), .valid_i(valid_i), .ready_o(ready_o), .x_i(x_i), .scale_i(scale_i),
    .se_scale1_i(se_regs[0]), .se_scale12_i(se_regs[1]), .valid_o(valid_o), .ready_i(kit_ready),
    .code_o(code_o), .se_o(se_o));

  function automatic string se_text(input logic [CODE_BITS:0] w);
    return $sformatf("se=0x%02h (flag %b, code %0d)", w, w[CODE_BITS], $signed(w[CODE_BITS-1:0]));
  endfunction

  initial begin : driver
    integer f_x, f_scale, g;
    logic [31:0] w_x, w_scale;
    #1;
    if (QUANTIZE_DIVIDE) begin
      $display("FAIL: the vectors use quantize_op divide; the contract's scale register holds a reciprocal");
      $finish;
    end
    kit_load_classes();
    $readmemh({dir, "/se_scales.hex"}, se_regs);
`ifdef KIT_DPI
    golden = mh_block_open(dir);
    if (golden == null) begin
      $display("FAIL: the golden model over DPI-C cannot read %s: %0s", dir, mh_last_error());
      $finish;
    end
`endif
    f_x = kit_open("x.hex");
    f_scale = kit_open("scale.hex");
    x_i = 'x;
    scale_i = 'x;
    repeat (3) @(posedge clk);
    @(negedge clk) rst_n = 1'b1;
    while ($fscanf(f_x, "%h\n", w_x) == 1 && $fscanf(f_scale, "%h\n", w_scale) == 1) begin
      g = kit_gap();
      @(negedge clk);
      if (g > 0) begin
        valid_i = 1'b0;
        x_i = 'x;
        scale_i = 'x;
        repeat (g) @(negedge clk);
      end
      x_i = w_x;
      scale_i = w_scale;
      valid_i = 1'b1;
      @(posedge clk);
      while (ready_o !== 1'b1) @(posedge clk);
      kit_accepted();
    end
    @(negedge clk);
    valid_i = 1'b0;
    x_i = 'x;
    scale_i = 'x;
    inputs_done = 1'b1;
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
      @(posedge clk);
      if (rst_n && valid_o === 1'b1 && kit_ready) begin
        if ($fscanf(f_x, "%h\n", s_x) != 1 || $fscanf(f_scale, "%h\n", s_scale) != 1 ||
            $fscanf(f_code, "%h\n", want_code) != 1 || $fscanf(f_se, "%h\n", want_se) != 1) begin
          $display("FAIL: an output transfer beyond the %0d vectors (cycle %0d)", n_out, cycle);
          $finish;
        end
`ifdef KIT_DPI
        begin : dpi_expected
          logic [31:0] g_code, g_se;
          mh_quantizer_respond(golden, s_x, s_scale, g_code, g_se);
          if (g_code[7:0] !== want_code[7:0] || g_se[CODE_BITS:0] !== want_se[CODE_BITS:0]) begin
            $display("FAIL: vector %0d: the golden model over DPI-C (code %h se %h) disagrees with the exported words (code %h se %h)",
                     n_out, g_code[7:0], g_se[CODE_BITS:0], want_code[7:0], want_se[CODE_BITS:0]);
            $finish;
          end
          want_code = g_code;
          want_se = g_se;
          dpi_checked = dpi_checked + 1;
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
