#include "mambahw/interop/activations.hpp"

#include <algorithm>

#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::interop {

using tensors::StoredTensor;
using tensors::TensorFileError;

TensorActivations::TensorActivations(tensors::TensorMap t, std::string source, std::string input, std::string calibration)
    : t_(std::move(t)), source_(std::move(source)), input_(std::move(input)), calibration_(std::move(calibration)) {}

TensorActivations TensorActivations::load(const std::filesystem::path& path, std::string input, std::string calibration) {
  return TensorActivations(tensors::read_tensors(path), path.string(), std::move(input), std::move(calibration));
}

const StoredTensor& TensorActivations::get(const std::string& name, int layer) const {
  const std::string per_layer = "layer" + std::to_string(layer) + "." + name;
  if (const auto it = t_.find(per_layer); it != t_.end()) return it->second;
  if (const auto it = t_.find(name); it != t_.end()) return it->second;
  throw TensorFileError(source_ + ": no tensor '" + per_layer + "' or '" + name + "'");
}

namespace {
// [batches][L][d] from a rank-2 or rank-3 tensor.
std::vector<FloatTensor> batches(const StoredTensor& t, const std::string& what, int d_model) {
  const auto& s = t.shape;
  const bool ok = (s.size() == 2 || s.size() == 3) && s.back() == d_model;
  if (!ok)
    throw TensorFileError(what + " has shape " + t.shape_text() + ", expected [batches, L, " +
                          std::to_string(d_model) + "] or [L, " + std::to_string(d_model) + "]");
  const std::vector<float> v = tensors::float_values(t, what);
  const auto nb = static_cast<std::size_t>(s.size() == 3 ? s[0] : 1), L = static_cast<std::size_t>(s[s.size() - 2]);
  if (L == 0) throw TensorFileError(what + " has no tokens");
  std::vector<FloatTensor> out;
  const std::size_t d = static_cast<std::size_t>(d_model);
  for (std::size_t b = 0; b < nb; ++b) {
    FloatTensor x({L, d});
    std::copy(v.begin() + static_cast<std::ptrdiff_t>(b * L * d), v.begin() + static_cast<std::ptrdiff_t>((b + 1) * L * d), x.data());
    out.push_back(std::move(x));
  }
  return out;
}
}  // namespace

std::vector<FloatTensor> TensorActivations::calibration(const ModelShape& m, const RunSettings&, int layer) const {
  return batches(get(calibration_, layer), source_ + ": tensor '" + calibration_ + "'", m.d_model);
}

FloatTensor TensorActivations::input(const ModelShape& m, const RunSettings& in, int layer) const {
  return sequence(m, in, layer, 0);
}

FloatTensor TensorActivations::sequence(const ModelShape& m, const RunSettings& in, int layer, int b) const {
  const StoredTensor& t = get(input_, layer);
  const std::string what = source_ + ": tensor '" + input_ + "'";
  std::vector<FloatTensor> seqs = batches(t, what, m.d_model);
  if (b >= static_cast<int>(seqs.size()))
    throw TensorFileError(what + " has shape " + t.shape_text() + ": " + std::to_string(seqs.size()) + " sequence" +
                          (seqs.size() == 1 ? "" : "s") + ", run.batch asks for " + std::to_string(in.batch) +
                          " (give the batch as [batch, L, d_model])");
  FloatTensor x = std::move(seqs[static_cast<std::size_t>(b)]);
  const auto L = static_cast<int>(x.dim(0));
  if (in.seq_len > L)
    throw TensorFileError(source_ + ": tensor '" + input_ + "' has " + std::to_string(L) + " tokens, run.seq_len asks for " +
                          std::to_string(in.seq_len));
  if (in.seq_len == L) return x;
  FloatTensor y({static_cast<std::size_t>(in.seq_len), x.dim(1)});
  std::copy(x.data(), x.data() + y.size(), y.data());
  return y;
}

int TensorActivations::input_tokens(int layer) const {
  const StoredTensor& t = get(input_, layer);
  return t.shape.size() >= 2 ? static_cast<int>(t.shape[t.shape.size() - 2]) : 0;
}

std::pair<int, int> TensorActivations::calibration_shape(int layer) const {
  const StoredTensor& t = get(calibration_, layer);
  if (t.shape.size() == 3) return {static_cast<int>(t.shape[0]), static_cast<int>(t.shape[1])};
  return {1, t.shape.size() == 2 ? static_cast<int>(t.shape[0]) : 0};
}

}  // namespace mambahw::interop
