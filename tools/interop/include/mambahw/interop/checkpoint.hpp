// A layer's weights from tensor files named as the PyTorch checkpoints name
// them (docs/layer.md §Checkpoint tensors has the table):
//   - float checkpoints (state-spaces/mamba's Mamba and Mamba2 mixers, and the
//     FP16 models Quamba starts from): in_proj.weight, conv1d.weight/bias,
//     x_proj.weight, dt_proj.weight/bias, A_log, D, dt_bias, norm.weight,
//     out_proj.weight; float16, bfloat16 or float32. The golden layer
//     calibrates its scales on recorded activations, as Quamba does.
//   - Quamba's W8A8 Mamba1 checkpoints (W8A8QMamba): the INT8 codes and every
//     static scale (in_proj.a/b, conv1d.*_scale, selective_scan.*_scale,
//     had.x_H_scale, ...). The golden layer then runs exactly those codes and
//     scales; its FP32 reference uses the dequantized weights.
// Each tensor name is `prefix + name`, where the prefix of layer i is found
// among backbone.layers.{i}.mixer., layers.{i}.mixer. and "" (a file holding
// one layer), or given in the config (`weights.layer_prefix`).
#pragma once

#include <filesystem>
#include <string>

#include "mambahw/golden/layer.hpp"
#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::interop {

class TensorWeights final : public WeightSource {
 public:
  // `prefix`: the layer prefix with "{layer}" standing for the index; empty: detect.
  TensorWeights(tensors::TensorMap t, std::string source, std::string prefix = "");
  static TensorWeights load(const std::filesystem::path& path, std::string prefix = "");

  // FP32 master weights (dequantized, and the offline Hadamard rotation of
  // out_proj undone, for a quantized checkpoint).
  LayerWeights layer(const ModelShape& m, int index) const override;

  // Whether layer `index` holds Quamba's INT8 codes and static scales.
  bool quantized(int index) const;
  // Replaces q's codes and scales by the checkpoint's (q calibrated by
  // quantize_layer, whose dual-scale format for mode 3 is kept). Throws when
  // the scheme's layer policy cannot run them (INT4 weights, groups, a
  // Hadamard setting other than the checkpoint's).
  void apply_static_scales(const ModelShape& m, const QuantScheme& s, int index, QuantizedLayer& q) const;

  const std::string& source() const { return source_; }
  std::string prefix_of(int index) const;  // the resolved prefix of layer `index`

 private:
  const tensors::StoredTensor& get(const std::string& prefix, const std::string& name) const;
  const tensors::StoredTensor* find(const std::string& prefix, const std::string& name) const;

  tensors::TensorMap t_;
  std::string source_;
  std::string prefix_;
};

// The inverse: one layer's FP32 master weights as a float checkpoint names
// them (conv weights dequantized, code * scale). Round-trips through
// TensorWeights::layer to the same codes.
tensors::TensorMap checkpoint_tensors(const ModelShape& m, const LayerWeights& w, const std::string& prefix = "");

}  // namespace mambahw::interop
