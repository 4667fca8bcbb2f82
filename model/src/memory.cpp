#include "mambahw/model/memory.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <utility>

#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/layer.hpp"

namespace mambahw::model {

std::uint32_t get_bits(std::span<const std::uint8_t> b, std::int64_t bit0, int bits) {
  std::uint64_t v = 0;
  const std::int64_t first = bit0 / 8, last = (bit0 + bits - 1) / 8;
  for (std::int64_t k = first; k <= last; ++k) v |= static_cast<std::uint64_t>(b[static_cast<std::size_t>(k)]) << (8 * (k - first));
  return static_cast<std::uint32_t>((v >> (bit0 % 8)) & ((std::uint64_t{1} << bits) - 1));
}

void put_bits(std::span<std::uint8_t> b, std::int64_t bit0, int bits, std::uint32_t value) {
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  for (int k = 0; k < bits; ++k) {
    const std::int64_t bit = bit0 + k;
    auto& byte = b[static_cast<std::size_t>(bit / 8)];
    const auto m = static_cast<std::uint8_t>(1u << (bit % 8));
    byte = static_cast<std::uint8_t>(((value & mask) >> k & 1u) ? (byte | m) : (byte & ~m));
  }
}

std::uint32_t get_element(std::span<const std::uint8_t> b, std::int64_t index, int bits) {
  if (bits == 8) return b[static_cast<std::size_t>(index)];
  if (bits == 16) {
    const auto i = static_cast<std::size_t>(index) * 2;
    return static_cast<std::uint32_t>(b[i]) | static_cast<std::uint32_t>(b[i + 1]) << 8;
  }
  return get_bits(b, index * bits, bits);
}

void put_element(std::span<std::uint8_t> b, std::int64_t index, int bits, std::uint32_t value) {
  if (bits == 8) {
    b[static_cast<std::size_t>(index)] = static_cast<std::uint8_t>(value);
    return;
  }
  if (bits == 16) {
    const auto i = static_cast<std::size_t>(index) * 2;
    b[i] = static_cast<std::uint8_t>(value);
    b[i + 1] = static_cast<std::uint8_t>(value >> 8);
    return;
  }
  put_bits(b, index * bits, bits, value);
}

std::int64_t element_index(const TensorSpec& t, std::int64_t len, std::int64_t column, std::int64_t token) {
  return t.layout == Layout::kChannelMajor ? column * len + token : token * t.per_token + column;
}

float get_f32(std::span<const std::uint8_t> b, std::size_t off) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(b[off + static_cast<std::size_t>(k)]) << (8 * k);
  return float_of(v);
}

void put_f32(std::span<std::uint8_t> b, std::size_t off, float f) {
  const std::uint32_t v = bits_of(f);
  for (int k = 0; k < 4; ++k) b[off + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(v >> (8 * k));
}

namespace {
void require_size(const Bytes& b, std::int64_t bytes, const char* what) {
  if (static_cast<std::int64_t>(b.size()) > bytes)
    throw std::logic_error(std::string(what) + " image needs " + std::to_string(b.size()) +
                           " bytes, its tensor has " + std::to_string(bytes));
}
}  // namespace

Bytes gemm_weight_image(const QuantWeights& w, const GemmPlan& plan, std::int64_t bytes) {
  Bytes img;
  img.reserve(static_cast<std::size_t>(bytes));
  std::vector<std::int8_t> tile;
  for (const GemmFold& f : plan.folds) {
    tile.clear();
    for (std::int64_t n = f.n0; n < f.n0 + f.n_len; ++n)
      for (std::int64_t k = f.k0; k < f.k0 + f.k_len; ++k) tile.push_back(w.at(static_cast<int>(n), static_cast<int>(k)));
    if (w.precision == WeightPrecision::kInt8) {
      for (std::int8_t c : tile) img.push_back(static_cast<std::uint8_t>(c));
    } else {
      const Bytes packed = pack_int4(tile);
      img.insert(img.end(), packed.begin(), packed.end());
    }
  }
  if (static_cast<std::int64_t>(img.size()) != plan.weight_bytes) throw std::logic_error("weight tiles: byte count differs from the plan");
  img.resize(img.size() + w.scales.size() * 4);
  for (std::size_t i = 0; i < w.scales.size(); ++i) put_f32(img, static_cast<std::size_t>(plan.weight_bytes) + 4 * i, w.scales[i]);
  require_size(img, bytes, "GEMM weight");
  img.resize(static_cast<std::size_t>(bytes), 0);
  return img;
}

void unpack_int4_tile(std::span<const std::uint8_t> tile, std::int64_t count, std::span<std::int8_t> codes,
                      bool nibbles_high_first) {
  // Code 2i is byte i's first nibble, code 2i+1 its second (a last odd code:
  // the first nibble of the last byte); the first is the low one unless
  // nibbles_high_first. A nibble n is the code (n ^ 8) - 8 (two's complement,
  // -8..7). Byte by byte with constant shifts, which the compiler vectorizes:
  // the LM head and mamba2-2.7b's GEMMs unpack every weight once per pass.
  const auto pairs = static_cast<std::size_t>(count / 2);
  auto unpack = [&]<int FirstShift>() {
    for (std::size_t i = 0; i < pairs; ++i) {
      const unsigned b = tile[i];
      codes[2 * i] = static_cast<std::int8_t>(static_cast<int>(((b >> FirstShift) & 0xFu) ^ 8u) - 8);
      codes[2 * i + 1] = static_cast<std::int8_t>(static_cast<int>(((b >> (4 - FirstShift)) & 0xFu) ^ 8u) - 8);
    }
    if (count % 2)
      codes[2 * pairs] = static_cast<std::int8_t>(static_cast<int>(((tile[pairs] >> FirstShift) & 0xFu) ^ 8u) - 8);
  };
  if (nibbles_high_first)
    unpack.template operator()<4>();
  else
    unpack.template operator()<0>();
}

std::span<const std::int8_t> weight_tile_codes(std::span<const std::uint8_t> tile, int weight_bits, std::int64_t count,
                                               std::vector<std::int8_t>& scratch, bool nibbles_high_first) {
  const auto n = static_cast<std::size_t>(count);
  if (tile.size() < (weight_bits == 8 ? n : (n + 1) / 2))
    throw std::logic_error("weight tile: fewer bytes than its codes");
  if (weight_bits == 8) return {reinterpret_cast<const std::int8_t*>(tile.data()), n};
  scratch.resize(n);
  unpack_int4_tile(tile, count, scratch, nibbles_high_first);
  return scratch;
}

Bytes conv_weight_image(const ConvLayer& c, Denormals d) {
  const auto per = static_cast<std::size_t>(conv_weight_bytes_per_channel(c.width));
  Bytes img(per * static_cast<std::size_t>(c.channels), 0);
  for (int ch = 0; ch < c.channels; ++ch) {
    const std::size_t o = per * static_cast<std::size_t>(ch);
    for (int k = 0; k < c.width; ++k) img[o + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(c.w[static_cast<std::size_t>(ch * c.width + k)]);
    img[o + static_cast<std::size_t>(c.width)] = c.bias.empty() ? 0 : static_cast<std::uint8_t>(c.bias[static_cast<std::size_t>(ch)]);
    const ConvChannelConsts k = channel_consts(c, ch, d);
    put_f32(img, o + static_cast<std::size_t>(c.width) + 1, k.scale_in);
    put_f32(img, o + static_cast<std::size_t>(c.width) + 5, k.bias);
  }
  return img;
}

ConvChannelWeights conv_channel_weights(std::span<const std::uint8_t> img, int channel, int width) {
  const auto o = static_cast<std::size_t>(conv_weight_bytes_per_channel(width) * channel);
  ConvChannelWeights w;
  for (int k = 0; k < width; ++k) w.taps.push_back(static_cast<std::int8_t>(img[o + static_cast<std::size_t>(k)]));
  w.consts.scale_in = get_f32(img, o + static_cast<std::size_t>(width) + 1);
  w.consts.bias = get_f32(img, o + static_cast<std::size_t>(width) + 5);
  return w;
}

Bytes ssm_params_image(const QuantizedLayer& q) {
  const ModelShape& m = q.shape;
  Bytes img;
  auto codes = [&](const QTensor& t) {
    for (std::int8_t c : t.q.vec()) img.push_back(static_cast<std::uint8_t>(c));
  };
  auto f32 = [&](float v) {
    img.resize(img.size() + 4);
    put_f32(img, img.size() - 4, v);
  };
  codes(q.a_log);
  codes(q.d_skip);
  if (!m.is_mamba2()) {
    codes(q.delta_bias);
    f32(q.a_log.scale);
    f32(q.d_skip.scale);
    f32(q.delta_bias.scale);
  } else {
    for (float b : q.dt_bias) {
      const std::uint16_t h = fp32_to_fp16(b);
      img.push_back(static_cast<std::uint8_t>(h));
      img.push_back(static_cast<std::uint8_t>(h >> 8));
    }
    for (float w : q.norm_w) f32(w);
    f32(q.a_log.scale);
    f32(q.d_skip.scale);
  }
  return img;
}

SsmParams read_ssm_params(std::span<const std::uint8_t> img, const ModelShape& m) {
  SsmParams p;
  std::size_t o = 0;
  auto codes = [&](std::vector<std::int8_t>& v, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<std::int8_t>(img[o++]));
  };
  auto f32 = [&] {
    const float v = get_f32(img, o);
    o += 4;
    return v;
  };
  if (!m.is_mamba2()) {
    codes(p.a_log, static_cast<std::int64_t>(m.d_inner) * m.d_state);
    codes(p.d_skip, m.d_inner);
    codes(p.delta_bias, m.d_inner);
    p.a_scale = f32();
    p.d_scale = f32();
    p.delta_bias_scale = f32();
  } else {
    codes(p.a_log, m.nheads);
    codes(p.d_skip, m.nheads);
    for (int h = 0; h < m.nheads; ++h) {
      p.dt_bias.push_back(fp16_to_fp32(static_cast<std::uint16_t>(get_element(img.subspan(o), 0, 16))));
      o += 2;
    }
    for (int c = 0; c < m.d_inner; ++c) p.norm_w.push_back(f32());
    p.a_scale = f32();
    p.d_scale = f32();
  }
  if (o != img.size()) throw std::logic_error("SSM parameter memory: layout and tensor bytes differ");
  return p;
}

// ---- scale-index SRAM ----------------------------------------------------------------

namespace {
std::int64_t index_sram_bit(const IndexSramLayout& l, IndexSramArray a, std::int64_t index, int* bits) {
  const std::int64_t words = a == IndexSramArray::kHeadRange ? l.head_words : l.cells;
  if (index < 0 || index >= words)
    throw std::out_of_range("index SRAM word " + std::to_string(index) + " of an array of " + std::to_string(words));
  switch (a) {
    case IndexSramArray::kHeadRange: *bits = l.head_range_bits; return index * l.head_range_bits;
    case IndexSramArray::kDimRange: *bits = l.dim_range_bits; return l.dim_range_bit0() + index * l.dim_range_bits;
    case IndexSramArray::kScale: break;
  }
  *bits = l.scale_bits;
  return l.scale_bit0() + index * l.scale_bits;
}
}  // namespace

Bytes index_sram_image(const Quamba2ScaleTable& t) {
  const IndexSramLayout l = index_sram_layout(t.shape);
  Bytes img(static_cast<std::size_t>(l.bytes()), 0);
  auto put = [&](IndexSramArray a, std::int64_t i, std::int64_t v) {
    int bits = 0;
    const std::int64_t bit0 = index_sram_bit(l, a, i, &bits);
    if (a != IndexSramArray::kScale && (v < 0 || v >= (std::int64_t{1} << bits)))
      throw std::logic_error("index SRAM range word " + std::to_string(v) + " does not fit " + std::to_string(bits) + " bits");
    put_bits(img, bit0, bits, static_cast<std::uint32_t>(v));
  };
  for (std::int64_t i = 0; i < l.head_words; ++i) put(IndexSramArray::kHeadRange, i, t.head_range.at(static_cast<std::size_t>(i)));
  for (std::int64_t i = 0; i < l.cells; ++i) {
    put(IndexSramArray::kDimRange, i, t.dim_range.at(static_cast<std::size_t>(i)));
    put(IndexSramArray::kScale, i, bits_of(t.x_scales.at(static_cast<std::size_t>(i))));
  }
  return img;
}

std::uint32_t index_sram_word(std::span<const std::uint8_t> image, const IndexSramLayout& l, IndexSramArray a,
                              std::int64_t index) {
  int bits = 0;
  const std::int64_t bit0 = index_sram_bit(l, a, index, &bits);
  return get_bits(image, bit0, bits);
}

// ---- on-chip buffers ------------------------------------------------------------------

static_assert(std::endian::native == std::endian::little, "a buffer's byte view is its words little-endian");

OnChipBuffer::Region& OnChipBuffer::region(std::string_view name, std::int64_t bytes) {
  auto it = std::find_if(regions_.begin(), regions_.end(), [&](const Region& r) { return r.name == name; });
  if (it == regions_.end()) it = regions_.insert(regions_.end(), Region{std::string(name), {}, 0});
  if (it->bytes != bytes) {
    const std::int64_t used = used_ - it->bytes + bytes;
    if (used > capacity())
      throw cost::CapacityError(cost::capacity_message(spec_, capacity()) + " (the model's " + std::string(name) +
                                " brought it to " + std::to_string(used) + " bytes)");
    used_ = used;
    peak_ = std::max(peak_, used_);
    it->bytes = bytes;
    it->words.resize(static_cast<std::size_t>((bytes + 3) / 4), 0);
  }
  return *it;
}

std::span<std::uint8_t> OnChipBuffer::bytes(std::string_view name, std::int64_t bytes) {
  Region& r = region(name, bytes);
  return {reinterpret_cast<std::uint8_t*>(r.words.data()), static_cast<std::size_t>(bytes)};
}

std::span<std::uint32_t> OnChipBuffer::words(std::string_view name, std::int64_t count) {
  Region& r = region(name, 4 * count);
  return {r.words.data(), static_cast<std::size_t>(count)};
}

std::span<std::int32_t> OnChipBuffer::int32s(std::string_view name, std::int64_t count) {
  const std::span<std::uint32_t> w = words(name, count);  // an int32 view of uint32 words (may alias)
  return {reinterpret_cast<std::int32_t*>(w.data()), w.size()};
}

}  // namespace mambahw::model
