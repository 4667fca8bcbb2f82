// The golden model over DPI-C for SystemVerilog scoreboards (UVM or plain
// SV): link libmambahw_dpi.so (build/tools/dpi/) into the simulation.
// FP32 values are their bit patterns; policy encodings and every function
// are described in tools/dpi/include/mambahw/dpi/mambahw_dpi.h and
// docs/dpi.md. Example (a scoreboard computing the expected INT8 code):
//   import mambahw_dpi_pkg::*;
//   want = mh_quantize(x, scale, inv_scale, 0 /*half away*/, 0, 0, 0);
package mambahw_dpi_pkg;
  // conv-output quantizer
  import "DPI-C" pure function int mh_quantize(input int unsigned x, input int unsigned scale,
      input int unsigned inv_scale, input int rounding, input int quantize_op, input int overflow,
      input int denormals);
  import "DPI-C" pure function int unsigned mh_quantize_dual(input int unsigned x, input int code_bits,
      input int symmetric, input int unsigned scale1, input int unsigned scale12, input int unsigned inv_scale1,
      input int unsigned inv_scale12, input int rounding, input int quantize_op, input int denormals);
  import "DPI-C" pure function int unsigned mh_pack_dual(input int code, input int flag, input int code_bits);
  // SSM dequant stage
  import "DPI-C" pure function int unsigned mh_dequant(input int code, input int unsigned scale,
      input int denormals);
  import "DPI-C" pure function int unsigned mh_dequant_dual(input int unsigned word, input int code_bits,
      input int unsigned scale1, input int unsigned scale12, input int denormals);
  // transcendental units
  import "DPI-C" pure function int unsigned mh_exp_unit(input int unsigned x, input int denormals);
  import "DPI-C" pure function int unsigned mh_silu(input int unsigned y, input int denormals,
      input int silu_divide);
  import "DPI-C" pure function int unsigned mh_log1p_unit(input int unsigned v, input int denormals);
  import "DPI-C" pure function int unsigned mh_softplus(input int unsigned x, input int threshold,
      input int denormals);
  import "DPI-C" pure function int unsigned mh_fp32_to_fp16(input int unsigned x);
  // an exported vector directory's block (the definition verify-vectors replays)
  import "DPI-C" function chandle mh_block_open(input string vector_dir);
  import "DPI-C" function void mh_block_close(input chandle block);
  import "DPI-C" function string mh_last_error();
  import "DPI-C" function void mh_quantizer_respond(input chandle block, input int unsigned x,
      input int unsigned scale_reg, output int unsigned code, output int unsigned se);
  import "DPI-C" function int unsigned mh_dequant_respond(input chandle block, input int unsigned mode,
      input int unsigned code, input int unsigned scale);
  import "DPI-C" function void mh_lookup_respond(input chandle block, input int unsigned channel,
      output int unsigned index, output int unsigned scale);
endpackage
