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

  // ---- the other datapath units (§5: vector contracts, no RTL in mambahw) -----
  // gemm_requant: order, acc, reg_a, reg_b -> value, code, fp16
  localparam int RqOrderWidth     = 2;   // 0 act_then_weight, 1 weight_then_act, 2 alpha
  localparam int RqAccWidth       = 32;  // INT32 accumulator
  localparam int RqOrderActThenWeight = 0;
  localparam int RqOrderWeightThenAct = 1;
  localparam int RqOrderAlpha         = 2;
  // conv_unit: x, w (4 INT8 taps, byte k = tap k), scale_in, bias, q_reg -> pre, silu, code
  localparam int ConvMaxWidth     = 4;
  // hadamard: one token is N consecutive transfers; sizes base * 2^k, base 1, 12, 28, 40
  localparam int HadamardBase12 = 12, HadamardBase28 = 28, HadamardBase40 = 40;
  // exp_unit (x -> y), softplus (x -> log1p, softplus), ssm_step (h, dl, e, b, du, c, y -> a, h_out, y_out):
  // every port is one FP32 word.
  localparam int Fp32Width        = 32;
  localparam int Fp16Width        = 16;

  // Width of the dual-scale word and of the dequant stage's code port.
  function automatic int se_word_bits(int code_bits);
    return code_bits + 1;
  endfunction
  function automatic int dq_code_bits(int code_bits);
    return (code_bits + 1 > 8) ? code_bits + 1 : 8;
  endfunction
endpackage
