// The port contracts of the mambahw datapath blocks (docs/contracts.md is the
// normative text; this package is its machine-readable form). An engineer's
// implementation meets a contract through an adapter (tb/kit/adapters/)
// whose ports are the contract's; the verification kit drives that adapter.
// mambahw's own RTL (rtl/) is one implementation of these contracts.
package mambahw_contract_pkg;
  /* The handshake, for every stream of every block (docs/contracts.md §1):
     a transfer happens on a rising clk_i edge with valid && ready; valid,
     once high, stays high with its data unchanged until the transfer; every
     accepted input produces exactly one output, in order; rst_ni is an
     asynchronous active-low reset after which valid_o is low. */

  // ---- parameter encodings (the golden model's enums, golden/.../numerics.hpp)
  localparam int RoundHalfAway = 0;   // CUDA roundf
  localparam int RoundHalfEven = 1;   // rint, torch.round, cvt.rni
  localparam int RoundToZero   = 2;   // C cast, cvt.rzi
  localparam int RoundingMin   = 0;
  localparam int RoundingMax   = 2;

  // ---- conv_out_quantizer (§2) ------------------------------------------------
  localparam int CoqXWidth        = 32;  // x_i: FP32 conv+SiLU value
  localparam int CoqScaleWidth    = 32;  // scale_i, se_scale1_i, se_scale12_i: FP32 registers
  localparam int CoqCodeWidth     = 8;   // code_o: INT8
  localparam int CoqCodeBitsMin   = 2;   // CodeBits: the dual-scale code width
  localparam int CoqCodeBitsMax   = 8;
  localparam int CoqMaxLatency    = 16;  // accept -> valid_o, with ready_i high throughout

  // ---- ssm_dequant (§3) -------------------------------------------------------
  localparam int DqScaleWidth     = 32;
  localparam int DqValueWidth     = 32;
  localparam int DqCodeBitsMin    = 2;
  localparam int DqCodeBitsMax    = 8;
  localparam int DqMaxLatency     = 16;

  // ---- scale_index_lookup (§4) -----------------------------------------------
  localparam int LkChannelWidth   = 16;
  localparam int LkGroupsMax      = 127;
  localparam int LkHeadGroupsMax  = 15;
  localparam int LkDimGroupsMax   = 15;
  localparam int LkMaxLatency     = 64;  // covers the sequential search: compares + 2 <= 32

  // Width of the dual-scale word and of the dequant stage's code port.
  function automatic int se_word_bits(int code_bits);
    return code_bits + 1;
  endfunction
  function automatic int dq_code_bits(int code_bits);
    return (code_bits + 1 > 8) ? code_bits + 1 : 8;
  endfunction
endpackage
