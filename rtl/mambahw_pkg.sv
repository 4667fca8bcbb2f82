// Shared constants of the mambahw RTL blocks. Encodings match the golden
// model's enums (golden/include/mambahw/numerics.hpp).
package mambahw_pkg;

  // Float -> integer rounding (parameter Rounding of the quantizer).
  localparam int RoundHalfAway = 0;  // CUDA roundf
  localparam int RoundHalfEven = 1;  // rint / torch.round / cvt.rni
  localparam int RoundToZero   = 2;  // C cast / cvt.rzi

  localparam logic [31:0] Fp32CanonicalNan = 32'h7fc0_0000;

endpackage
