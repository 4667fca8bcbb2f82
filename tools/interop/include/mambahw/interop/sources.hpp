// The weights and activations a config selects (`weights:`, `activations:`;
// docs/configs.md): synthetic by default, tensor files otherwise. Owns them
// and hands studies' LayerSources out.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mambahw/config/config.hpp"
#include "mambahw/interop/activations.hpp"
#include "mambahw/interop/checkpoint.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace mambahw::interop {

class RunSources {
 public:
  explicit RunSources(const Config& c);  // reads the tensor files
  LayerSources layer_sources() const;
  // One line for reports: where weights, scales and activations come from.
  std::string describe(const Config& c) const;
  // Tokens of the recorded input (layer 0), when the activations are tensors.
  std::optional<int> input_tokens() const;

 private:
  std::unique_ptr<WeightSource> weights_;
  std::unique_ptr<ActivationSource> activations_;
  const TensorWeights* tensor_weights_ = nullptr;
  const TensorActivations* tensor_activations_ = nullptr;
  bool static_scales_ = false;
};

}  // namespace mambahw::interop
