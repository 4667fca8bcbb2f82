// Recorded activations from a tensor file: the mixer's input hidden states
// of the evaluated sequence and of the calibration batches, as a PyTorch
// forward hook captures them. Per layer, `layer{i}.<name>` is used when the
// file has it, else `<name>` for every layer (so a `--dump` folder, which
// holds layer{i}.input and layer{i}.calibration, replays its run).
//   input        [L, d_model], or [B, L, d_model] for a batch (run.batch <= B;
//                sequence b of the run is row b; a run of one sequence takes the first)
//   calibration  [batches, L, d_model] or [L, d_model]
// Float32, float16 or bfloat16 (widened exactly).
#pragma once

#include <filesystem>
#include <string>

#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::interop {

class TensorActivations final : public ActivationSource {
 public:
  TensorActivations(tensors::TensorMap t, std::string source, std::string input = "input",
                    std::string calibration = "calibration");
  static TensorActivations load(const std::filesystem::path& path, std::string input = "input",
                                std::string calibration = "calibration");

  // All batches of the file (run.calib_batches and calib_seq_len do not apply).
  std::vector<FloatTensor> calibration(const ModelShape& m, const RunSettings& in, int layer) const override;
  // The first run.seq_len tokens of the first sequence (an error when the file has fewer).
  FloatTensor input(const ModelShape& m, const RunSettings& in, int layer) const override;
  // The same of sequence b: an error naming the tensor, its shape and run.batch when the file holds fewer.
  FloatTensor sequence(const ModelShape& m, const RunSettings& in, int layer, int b) const override;

  int input_tokens(int layer) const;                 // L of the input tensor
  std::pair<int, int> calibration_shape(int layer) const;  // batches, tokens
  const std::string& source() const { return source_; }

 private:
  const tensors::StoredTensor& get(const std::string& name, int layer) const;
  tensors::TensorMap t_;
  std::string source_, input_, calibration_;
};

}  // namespace mambahw::interop
