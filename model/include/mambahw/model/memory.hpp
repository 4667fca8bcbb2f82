// What the accelerator's memories hold, byte for byte: the one encoder and
// decoder of every layout (docs/architecture.md, "Memory layouts"). The host
// writes weights and constants with these functions; the units read and write
// activations with them; the comparison decodes with them. A tensor's byte
// count is golden's TensorSpec::bytes, and every image here has exactly that
// many bytes.
//
//   activations   element i of the tensor in its layout order (channel-major:
//                 i = column * L + token; token-major: i = token * per_token +
//                 column) occupies bits [i * b, i * b + b) of the region, bit 0
//                 of a byte first (little-endian): INT8 codes one byte, FP16 two
//                 bytes little-endian, dual-scale words (flag above the code,
//                 dual_scale.hpp) b = code_bits + 1 bits, packed without gaps.
//   GEMM weights  the fold tiles in the array's load order (GemmPlan::folds,
//                 n-major), each tile n_len rows of k_len codes, row after row,
//                 INT8 one byte per code, INT4 two's-complement nibbles packed
//                 low nibble first (golden's pack_int4) over the whole tile;
//                 then at GemmPlan::weight_bytes the FP32 weight scales [n][groups].
//   conv weights  per channel width + 1 + 8 bytes: the INT8 taps (tap 0 the
//                 oldest input), the INT8 bias, scale_in and bias_f (FP32, conv.hpp).
//   SSM params    Mamba1: A_log codes [d_inner][d_state], D codes [d_inner],
//                 delta_bias codes [d_inner], then FP32 sA, sD, s_delta_bias.
//                 Mamba2: A_log codes [nheads], D codes [nheads], dt_bias FP16
//                 [nheads], norm weights FP32 [d_inner], then FP32 sA, sD.
//   index SRAM    Quamba2's x-segment tables at golden's index_sram_layout
//                 widths, packed LSB-first without gaps: head ranges [G][nHG],
//                 then dim ranges [G][nHG][nDG], then FP32 scales [G][nHG][nDG].
// Multi-byte values are little-endian.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mambahw/cost/unit_buffers.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw {
struct QuantizedLayer;
}

namespace mambahw::model {

using Bytes = std::vector<std::uint8_t>;

// Element `index` of a packed stream of `bits`-wide elements (1..32).
std::uint32_t get_element(std::span<const std::uint8_t> bytes, std::int64_t index, int bits);
void put_element(std::span<std::uint8_t> bytes, std::int64_t index, int bits, std::uint32_t value);
// `bits` (1..32) bits at bit offset `bit0`, bit 0 of a byte first.
std::uint32_t get_bits(std::span<const std::uint8_t> bytes, std::int64_t bit0, int bits);
void put_bits(std::span<std::uint8_t> bytes, std::int64_t bit0, int bits, std::uint32_t value);

// The linear element index of (column, token) in an activation tensor of
// `len` tokens, by its layout.
std::int64_t element_index(const TensorSpec& t, std::int64_t len, std::int64_t column, std::int64_t token);

// Little-endian FP32 at a byte offset.
float get_f32(std::span<const std::uint8_t> bytes, std::size_t offset);
void put_f32(std::span<std::uint8_t> bytes, std::size_t offset, float v);

// A GEMM's weight memory image: `bytes` (the program's TensorSpec::bytes).
Bytes gemm_weight_image(const QuantWeights& w, const GemmPlan& plan, std::int64_t bytes);
// Decodes the `count` INT4 codes of one fold tile (n_len x k_len) of a
// weight image. `nibbles_high_first` is the negative control of the nibble order.
void unpack_int4_tile(std::span<const std::uint8_t> tile, std::int64_t count, std::span<std::int8_t> codes,
                      bool nibbles_high_first = false);
// The `count` codes of one fold tile: an INT8 tile's bytes are its codes (a
// view of `tile`, read in place); an INT4 tile is unpacked into `scratch`.
// A tile shorter than its codes is a logic_error.
std::span<const std::int8_t> weight_tile_codes(std::span<const std::uint8_t> tile, int weight_bits, std::int64_t count,
                                               std::vector<std::int8_t>& scratch, bool nibbles_high_first = false);

// Bytes per channel of the conv weight image (golden's conv_weight_bytes_per_channel).
Bytes conv_weight_image(const ConvLayer& c, Denormals d);
struct ConvChannelWeights {
  std::vector<std::int8_t> taps;
  ConvChannelConsts consts;
};
ConvChannelWeights conv_channel_weights(std::span<const std::uint8_t> image, int channel, int width);

// The SSM core's parameter memory.
Bytes ssm_params_image(const QuantizedLayer& q);
struct SsmParams {
  std::vector<std::int8_t> a_log, d_skip, delta_bias;  // codes
  std::vector<float> dt_bias, norm_w;                  // Mamba2
  float a_scale = 1, d_scale = 1, delta_bias_scale = 1;
};
SsmParams read_ssm_params(std::span<const std::uint8_t> image, const ModelShape& m);

// The scale-index SRAM: index_sram_layout(t.shape).bytes() bytes; std::logic_error
// if a range does not fit its width.
enum class IndexSramArray : std::uint8_t { kHeadRange, kDimRange, kScale };
Bytes index_sram_image(const Quamba2ScaleTable& t);
// Word `index` of an array (row-major, as the RTL's word addresses), zero-extended.
std::uint32_t index_sram_word(std::span<const std::uint8_t> image, const IndexSramLayout& l, IndexSramArray a,
                              std::int64_t index);

// An on-chip buffer of a unit (cost/unit_buffers.hpp): named regions (the
// unit's tiles) that hold the working set's bytes, in 32-bit words so that
// INT32 accumulators and FP32 values are words of the buffer itself (a byte
// view is the words little-endian, as DRAM holds them). The regions' total may
// not exceed the capacity: the configured one, or (0) the layout's need, so
// that a unit holding more than cost::unit_buffers says is a CapacityError
// (cost::capacity_message) rather than an unpriced memory.
class OnChipBuffer {
 public:
  void configure(cost::UnitBuffer spec) { spec_ = std::move(spec); }
  const cost::UnitBuffer& spec() const { return spec_; }
  // Unconfigured (a unit on its own, in a test bench): unbounded.
  std::int64_t capacity() const {
    return spec_.tiles.empty() && spec_.configured == 0 ? std::numeric_limits<std::int64_t>::max() : spec_.capacity();
  }
  // Region `name` resized to `bytes` bytes (contents kept as far as they go, new bytes zero).
  std::span<std::uint8_t> bytes(std::string_view name, std::int64_t bytes);
  // The same region as `count` 32-bit words (4 x count bytes).
  std::span<std::uint32_t> words(std::string_view name, std::int64_t count);
  std::span<std::int32_t> int32s(std::string_view name, std::int64_t count);
  std::int64_t used() const { return used_; }
  std::int64_t peak() const { return peak_; }

 private:
  struct Region {
    std::string name;
    std::vector<std::uint32_t> words;
    std::int64_t bytes = 0;
  };
  Region& region(std::string_view name, std::int64_t bytes);
  cost::UnitBuffer spec_;
  std::vector<Region> regions_;
  std::int64_t used_ = 0, peak_ = 0;
};

}  // namespace mambahw::model
