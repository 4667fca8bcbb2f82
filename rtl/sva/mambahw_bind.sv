// Binds the valid/ready protocol checker to both streams of every mambahw
// block (OpenTitan sva/*_bind.sv style). Compiled with rtl/mambahw.f and
// valid_ready_checker.sv in every assertion run (verilator --assert); never
// part of synthesis.
`include "mambahw_bind.svh"

`MH_BIND_CONV_OUT_QUANTIZER(conv_out_quantizer)
`MH_BIND_SSM_DEQUANT(ssm_dequant)
`MH_BIND_SCALE_INDEX_LOOKUP(scale_index_lookup)
