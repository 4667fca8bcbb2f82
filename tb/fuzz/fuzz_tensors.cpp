// Fuzz target: the tensor-file readers (.npy, .npz, safetensors) on images
// in memory. The first byte picks the format, the rest is the image. Every
// image must parse or give a TensorFileError; a parsed image must be
// consistent (bytes = elements x element size) and survive a round trip
// (written again by the same library and read back: the same tensors).
#include "fuzz_target.hpp"

#include <span>

#include "mambahw/tensors/tensor_file.hpp"

namespace {

using namespace mambahw::tensors;

TensorMap parse(int format, std::span<const std::byte> b, Metadata* meta) {
  switch (format) {
    case 0: return {{"x", parse_npy(b, "fuzz.npy")}};
    case 1: return parse_npz(b, "fuzz.npz");
    default: return parse_safetensors(b, "fuzz.safetensors", meta);
  }
}

std::vector<std::byte> image(int format, const TensorMap& m, const Metadata& meta) {
  switch (format) {
    case 0: return npy_image(m.at("x"));
    case 1: return npz_image(m);
    default: return safetensors_image(m, meta);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using mambahw::fuzz::finding;
  if (size == 0) return 0;
  const int format = data[0] % 3;
  const std::span<const std::byte> img(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  TensorMap m;
  Metadata meta;
  try {
    m = parse(format, img, &meta);
  } catch (const TensorFileError&) {
    return 0;
  } catch (const std::exception& e) {
    mambahw::fuzz::unexpected("parse", e);
  }
  for (const auto& [name, t] : m) {
    const auto n = checked_count(t.shape, dtype_size(t.dtype));
    if (!n || static_cast<std::size_t>(*n) != t.bytes.size())
      finding("parse", "tensor '" + name + "' " + t.shape_text() + " holds " + std::to_string(t.bytes.size()) + " bytes");
  }
  // Names and shapes a reader accepts, the writer may still refuse (a name
  // that cannot be a file name, for instance): only a refusal by
  // TensorFileError is allowed, and what is written must read back the same.
  std::vector<std::byte> again;
  try {
    again = image(format, m, meta);
  } catch (const TensorFileError&) {
    return 0;
  } catch (const std::exception& e) {
    mambahw::fuzz::unexpected("write image", e);
  }
  try {
    Metadata meta2;
    if (parse(format, again, &meta2) != m) finding("round trip", "the tensors read back differ");
    if (format == 2 && meta2 != meta) finding("round trip", "the safetensors metadata read back differs");
  } catch (const std::exception& e) {
    mambahw::fuzz::unexpected("read back", e);
  }
  return 0;
}
