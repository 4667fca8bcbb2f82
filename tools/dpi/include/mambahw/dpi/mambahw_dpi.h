/* The golden model over DPI-C: a C ABI for SystemVerilog scoreboards
 * (import "DPI-C", tools/dpi/sv/mambahw_dpi_pkg.sv) and for C programs.
 * libmambahw_dpi.so calls the golden functions; nothing here computes on
 * its own. FP32 values travel as their IEEE-754 bit patterns (SV
 * `int unsigned`); policies as the golden enums' values:
 *   rounding     0 half_away_from_zero, 1 half_to_even, 2 toward_zero
 *   quantize_op  0 multiply_reciprocal, 1 divide
 *   overflow     0 saturate, 1 wrap
 *   denormals    0 preserve, 1 flush_to_zero
 * docs/dpi.md describes every function; docs/arithmetic.md the arithmetic. */
#ifndef MAMBAHW_DPI_H
#define MAMBAHW_DPI_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the conv-output quantizer (arithmetic.md §4-§5) ---------------------- */
/* INT8 code (sign-extended) of x: scale and inv_scale are FP32 bits (inv_scale =
 * the scale register under multiply_reciprocal). */
int mh_quantize(unsigned x, unsigned scale, unsigned inv_scale, int rounding, int quantize_op, int overflow,
                int denormals);
/* The dual-scale word {flag, code} of x: scale1/scale12 and their registers. */
unsigned mh_quantize_dual(unsigned x, int code_bits, int symmetric, unsigned scale1, unsigned scale12,
                          unsigned inv_scale1, unsigned inv_scale12, int rounding, int quantize_op, int denormals);
unsigned mh_pack_dual(int code, int flag, int code_bits);

/* ---- the SSM dequant stage (arithmetic.md §5-§6) ---------------------------- */
unsigned mh_dequant(int code, unsigned scale, int denormals);
unsigned mh_dequant_dual(unsigned word, int code_bits, unsigned scale1, unsigned scale12, int denormals);

/* ---- transcendental units (arithmetic.md §3, layer.md §SSM) ----------------- */
unsigned mh_exp_unit(unsigned x, int denormals);
unsigned mh_silu(unsigned y, int denormals, int silu_divide);  /* silu_divide: 1 divide, 0 reciprocal-multiply */
unsigned mh_log1p_unit(unsigned v, int denormals);
unsigned mh_softplus(unsigned x, int threshold, int denormals);
unsigned mh_fp32_to_fp16(unsigned x);

/* ---- an exported vector directory's block ----------------------------------- */
/* Opens the block an export describes (manifest parameters and memory images,
 * exactly what verify-vectors replays through); NULL on failure, see
 * mh_last_error(). */
void* mh_block_open(const char* vector_dir);
void mh_block_close(void* block);
const char* mh_last_error(void);
/* The golden response to one stimulus tuple of the block: n_stim words in,
 * the block's response words out (at most 8 each, each at most 32 bits). */
int mh_block_respond(void* block, const unsigned* stim, int n_stim, unsigned* resp, int n_resp);
/* The same for the three RTL blocks, one argument per port (docs/vectors.md). */
void mh_quantizer_respond(void* block, unsigned x, unsigned scale_reg, unsigned* code, unsigned* se);
unsigned mh_dequant_respond(void* block, unsigned mode, unsigned code, unsigned scale);
void mh_lookup_respond(void* block, unsigned channel, unsigned* index, unsigned* scale);

#ifdef __cplusplus
}
#endif
#endif
