// Binds the valid/ready protocol checker (rtl/sva/valid_ready_checker.sv) to
// both streams of the kit's adapters, whose ports are the contracts'. So
// every DUT the kit runs under --assert is checked, whatever its own port
// names (Verilator reads this file; Icarus 11 has no SVA).
`include "mambahw_bind.svh"

`MH_BIND_CONV_OUT_QUANTIZER(kit_conv_out_quantizer_adapter)
`MH_BIND_SSM_DEQUANT(kit_ssm_dequant_adapter)
`MH_BIND_SCALE_INDEX_LOOKUP(kit_scale_index_lookup_adapter)
