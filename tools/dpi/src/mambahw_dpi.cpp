// The golden model over DPI-C (include/mambahw/dpi/mambahw_dpi.h): thin
// wrappers that convert bit patterns and policy numbers and call the golden
// functions or a vector block's respond(). A failure never crosses the C
// boundary as an exception: it is kept for mh_last_error().
#include "mambahw/dpi/mambahw_dpi.h"

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/verif/blocks.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace {

using namespace mambahw;

thread_local std::string last_error;

float f32(unsigned bits) { return float_of(static_cast<std::uint32_t>(bits)); }
unsigned bits(float f) { return bits_of(f); }

Denormals denormals_of(int d) { return d ? Denormals::kFlushToZero : Denormals::kPreserve; }

NumericsPolicy policy(int rounding, int quantize_op, int overflow, int denormals) {
  NumericsPolicy p;
  p.rounding = static_cast<Rounding>(rounding);
  p.quantize_op = quantize_op ? QuantizeOp::kDivide : QuantizeOp::kMultiplyReciprocal;
  p.overflow = overflow ? Overflow::kWrap : Overflow::kSaturate;
  p.denormals = denormals_of(denormals);
  return p;
}

DualScaleFormat dual_format(int code_bits, int symmetric, unsigned scale1, unsigned scale12) {
  DualScaleFormat f;
  f.range = symmetric ? CodeRange::symmetric_bits(code_bits) : CodeRange::signed_bits(code_bits);
  f.scale1 = f32(scale1);
  f.scale12 = f32(scale12);
  return f;
}

verif::VectorBlock* block_of(void* h) { return static_cast<verif::VectorBlock*>(h); }

// respond() with 32-bit ports; false (and mh_last_error) on a shape mismatch.
bool respond(void* h, const unsigned* stim, std::size_t n_stim, unsigned* resp, std::size_t n_resp) {
  const verif::VectorBlock* b = block_of(h);
  if (!b || b->stimulus_ports() != n_stim || b->response_ports() != n_resp) {
    last_error = b ? "block " + b->name() + " has " + std::to_string(b->stimulus_ports()) + " stimulus and " +
                         std::to_string(b->response_ports()) + " response ports"
                   : "no block (mh_block_open failed?)";
    return false;
  }
  std::vector<std::uint64_t> s(stim, stim + n_stim), r(n_resp);
  b->respond(s, r);
  for (std::size_t i = 0; i < n_resp; ++i) resp[i] = static_cast<unsigned>(r[i]);
  return true;
}

}  // namespace

extern "C" {

int mh_quantize(unsigned x, unsigned scale, unsigned inv_scale, int rounding, int quantize_op, int overflow,
                int denormals) {
  return quantize(f32(x), f32(scale), f32(inv_scale), policy(rounding, quantize_op, overflow, denormals));
}

unsigned mh_quantize_dual(unsigned x, int code_bits, int symmetric, unsigned scale1, unsigned scale12,
                          unsigned inv_scale1, unsigned inv_scale12, int rounding, int quantize_op, int denormals) {
  DualScaleFormat f = dual_format(code_bits, symmetric, scale1, scale12);
  f.inv_scale1 = f32(inv_scale1);
  f.inv_scale12 = f32(inv_scale12);
  return pack_dual(quantize_dual(f32(x), f, policy(rounding, quantize_op, 0, denormals)), code_bits);
}

unsigned mh_pack_dual(int code, int flag, int code_bits) {
  return pack_dual(DualScaleCode{static_cast<std::int8_t>(code), flag != 0}, code_bits);
}

unsigned mh_dequant(int code, unsigned scale, int denormals) {
  return bits(dequant(code, f32(scale), denormals_of(denormals)));
}

unsigned mh_dequant_dual(unsigned word, int code_bits, unsigned scale1, unsigned scale12, int denormals) {
  const DualScaleFormat f = dual_format(code_bits, 1, scale1, scale12);
  return bits(dequant_dual(unpack_dual(static_cast<std::uint16_t>(word), code_bits), f, denormals_of(denormals)));
}

unsigned mh_exp_unit(unsigned x, int denormals) { return bits(exp_unit(f32(x), denormals_of(denormals))); }

unsigned mh_silu(unsigned y, int denormals, int silu_divide) {
  NumericsPolicy p;
  p.denormals = denormals_of(denormals);
  p.silu_division = silu_divide ? QuantizeOp::kDivide : QuantizeOp::kMultiplyReciprocal;
  return bits(silu(f32(y), p));
}

unsigned mh_log1p_unit(unsigned v, int denormals) { return bits(log1p_unit(f32(v), denormals_of(denormals))); }

unsigned mh_softplus(unsigned x, int threshold, int denormals) {
  return bits(softplus(f32(x), threshold != 0, denormals_of(denormals)));
}

unsigned mh_fp32_to_fp16(unsigned x) { return fp32_to_fp16(f32(x)); }

void* mh_block_open(const char* vector_dir) {
  try {
    return verif::load_block(vector_dir ? vector_dir : "").release();
  } catch (const std::exception& e) {
    last_error = std::string(vector_dir ? vector_dir : "(null)") + ": " + e.what();
    return nullptr;
  }
}

void mh_block_close(void* block) { delete block_of(block); }

const char* mh_last_error(void) { return last_error.c_str(); }

int mh_block_respond(void* block, const unsigned* stim, int n_stim, unsigned* resp, int n_resp) {
  if (n_stim < 0 || n_resp < 0) return 0;
  return respond(block, stim, static_cast<std::size_t>(n_stim), resp, static_cast<std::size_t>(n_resp)) ? 1 : 0;
}

void mh_quantizer_respond(void* block, unsigned x, unsigned scale_reg, unsigned* code, unsigned* se) {
  const unsigned stim[2] = {x, scale_reg};
  unsigned resp[2] = {0xFFFF'FFFFu, 0xFFFF'FFFFu};  // all ones on a shape mismatch: never a valid code word
  respond(block, stim, 2, resp, 2);
  *code = resp[0];
  *se = resp[1];
}

unsigned mh_dequant_respond(void* block, unsigned mode, unsigned code, unsigned scale) {
  const unsigned stim[3] = {mode, code, scale};
  unsigned resp[1] = {0xFFFF'FFFFu};
  respond(block, stim, 3, resp, 1);
  return resp[0];
}

void mh_lookup_respond(void* block, unsigned channel, unsigned* index, unsigned* scale) {
  const unsigned stim[1] = {channel};
  unsigned resp[2] = {0xFFFF'FFFFu, 0xFFFF'FFFFu};
  respond(block, stim, 1, resp, 2);
  *index = resp[0];
  *scale = resp[1];
}

}  // extern "C"
