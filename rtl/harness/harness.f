// The co-simulation harnesses (not the accelerator's RTL: not synthesised,
// not in rtl/mambahw.f, not exported by the verification kit), read after
// rtl/mambahw.f; paths relative to this file's directory.
harness_input_stage.sv
conv_out_quantizer_lanes.sv
ssm_dequant_lanes.sv
