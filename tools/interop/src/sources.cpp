#include "mambahw/interop/sources.hpp"

#include <fmt/format.h>

namespace mambahw::interop {

RunSources::RunSources(const Config& c) {
  if (c.weights.tensors) {
    auto w = std::make_unique<TensorWeights>(TensorWeights::load(c.weights.path, c.weights.layer_prefix));
    tensor_weights_ = w.get();
    static_scales_ = c.weights.static_scales;
    weights_ = std::move(w);
  } else {
    weights_ = std::make_unique<SyntheticWeights>(c.run.seed);
  }
  if (c.activations.tensors) {
    auto a = std::make_unique<TensorActivations>(
        TensorActivations::load(c.activations.path, c.activations.input, c.activations.calibration));
    tensor_activations_ = a.get();
    activations_ = std::move(a);
  } else {
    activations_ = std::make_unique<SyntheticActivations>();
  }
}

LayerSources RunSources::layer_sources() const {
  StaticScales scales;
  if (tensor_weights_ && static_scales_)
    scales = [w = tensor_weights_](const ModelShape& m, const QuantScheme& s, int layer, QuantizedLayer& q) {
      w->apply_static_scales(m, s, layer, q);
    };
  return LayerSources{*weights_, *activations_, scales};
}

std::optional<int> RunSources::input_tokens() const {
  if (!tensor_activations_) return std::nullopt;
  return tensor_activations_->input_tokens(0);
}

std::string RunSources::describe(const Config& c) const {
  std::string w = fmt::format("synthetic (seed {})", c.run.seed);
  if (tensor_weights_) {
    const bool q = tensor_weights_->quantized(0);
    w = fmt::format("{} ({}{})", tensor_weights_->source(),
                    q ? "Quamba W8A8 checkpoint" : "float checkpoint",
                    q ? (static_scales_ ? ", its static scales" : ", scales calibrated") : ", scales calibrated");
  }
  std::string a = fmt::format("synthetic (seed {}; calibration {} x {} tokens)", c.run.seed, c.run.calib_batches,
                              c.run.calib_seq_len);
  if (tensor_activations_) {
    const auto [nb, len] = tensor_activations_->calibration_shape(0);
    a = fmt::format("{} (input {} of {} tokens; calibration {} x {})", tensor_activations_->source(), c.run.seq_len,
                    tensor_activations_->input_tokens(0), nb, len);
  }
  return "weights " + w + "; activations " + a;
}

}  // namespace mambahw::interop
