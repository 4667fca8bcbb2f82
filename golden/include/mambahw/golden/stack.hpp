// Layers chained into a model (docs/layer.md, "Chained layers"): layer i's
// output is layer i + 1's input through the block's residual add and RMSNorm.
// What the golden model specifies between two mixers, one place.
#pragma once

#include <functional>
#include <span>

#include "mambahw/golden/layer.hpp"

namespace mambahw {

// Between two mixers of a Mamba block stack (residual_in_fp32, RMSNorm
// before each mixer, the norm's weight fused into the next in_proj as
// Quamba does): per token t and channel c, in channel order,
//   residual[t][c] = fp32(residual[t][c] + out[t][c])             (FP32 add)
//   ms = fma(r[c], r[c], ms);  inv = fp32(1 / sqrt(fp32(fp32(ms / d_model) + eps)))
//   next[t][c] = fp32(residual[t][c] * inv)
// IEEE FP32 with gradual underflow, sqrt and divide correctly rounded (the
// host's arithmetic: the accelerator has no unit for it); eps = kRmsNormEps.
// The next layer's own input quantizer turns `next` into its INT8 codes.
// `residual` and `out` are [T][d_model]; returns next, [T][d_model].
FloatTensor residual_rmsnorm(FloatTensor& residual, const FloatTensor& out);

// One sequence through a stack of layers, one layer at a time: layer 0
// reads the tokens' input and the residual stream starts from it (the run's
// activations stand for the first mixer's input); layer i + 1 reads
// residual_rmsnorm(residual, layer i's out). Each layer keeps its LayerState
// (fresh for a prompt), carried as run_layer(q, x, mode, state) carries it,
// so a decode step is start() on one token and a pass over the layers.
class StackCursor {
 public:
  StackCursor(std::span<const QuantizedLayer* const> layers, SsmInputMode mode);
  void start(const FloatTensor& input);  // [T][d_model], layer 0's input; the next layer is 0
  LayerTrace next();                     // the next layer on its input; std::logic_error past the last
  int layer() const { return layer_; }   // the layer next() runs
  const FloatTensor& residual() const { return residual_; }
  LayerState& state(int layer) { return states_.at(static_cast<std::size_t>(layer)); }

 private:
  std::vector<const QuantizedLayer*> layers_;
  SsmInputMode mode_;
  std::vector<LayerState> states_;
  FloatTensor residual_, x_;
  int layer_ = 0;
};

// The whole stack on `input` from fresh states; observe(i, trace) sees each
// layer's trace as it is produced (nothing is kept). Returns the residual
// stream after the last layer (the final norm and the LM head are not modelled).
FloatTensor run_stack(std::span<const QuantizedLayer* const> layers, const FloatTensor& input, SsmInputMode mode,
                      const std::function<void(int layer, const LayerTrace& trace)>& observe = {});

}  // namespace mambahw
