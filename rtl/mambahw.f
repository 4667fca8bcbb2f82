// The mambahw RTL, in compile order (the package first: yosys reads files in
// order). The one list CMake (Verilated models, lint), the vector testbench
// scripts, the verification kit and the synthesis script read; paths are
// relative to this file's directory (Verilator: -F rtl/mambahw.f).
mambahw_pkg.sv
fp32_mul.sv
fp32_to_int.sv
conv_out_quantizer.sv
ssm_dequant.sv
scale_index_lookup.sv
