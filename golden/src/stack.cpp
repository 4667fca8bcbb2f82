#include "mambahw/golden/stack.hpp"

#include <cmath>
#include <stdexcept>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {

FloatTensor residual_rmsnorm(FloatTensor& residual, const FloatTensor& out) {
  if (residual.dim(0) != out.dim(0) || residual.dim(1) != out.dim(1))
    throw std::invalid_argument("residual_rmsnorm: the residual and the layer output differ in shape");
  constexpr Denormals ieee = Denormals::kPreserve;
  const std::size_t T = residual.dim(0), C = residual.dim(1);
  FloatTensor next({T, C});
  for (std::size_t t = 0; t < T; ++t) {
    float ms = 0.0f;
    for (std::size_t c = 0; c < C; ++c) {
      const float r = fadd(residual(t, c), out(t, c), ieee);
      residual(t, c) = r;
      ms = ffma(r, r, ms, ieee);
    }
    const float mean = fdiv(ms, static_cast<float>(C), ieee);
    const float inv = fdiv(1.0f, std::sqrt(fadd(mean, kRmsNormEps, ieee)), ieee);  // IEEE sqrt: correctly rounded
    for (std::size_t c = 0; c < C; ++c) next(t, c) = fmul(residual(t, c), inv, ieee);
  }
  return next;
}

StackCursor::StackCursor(std::span<const QuantizedLayer* const> layers, SsmInputMode mode)
    : layers_(layers.begin(), layers.end()), mode_(mode) {
  for (const QuantizedLayer* q : layers_) states_.push_back(fresh_state(q->shape));
}

void StackCursor::start(const FloatTensor& input) {
  residual_ = input;
  x_ = input;
  layer_ = 0;
}

LayerTrace StackCursor::next() {
  if (layer_ >= static_cast<int>(layers_.size())) throw std::logic_error("StackCursor: past the last layer");
  const auto i = static_cast<std::size_t>(layer_);
  LayerTrace tr = run_layer(*layers_[i], x_, mode_, states_[i]);
  if (++layer_ < static_cast<int>(layers_.size())) x_ = residual_rmsnorm(residual_, tr.out);
  else (void)residual_rmsnorm(residual_, tr.out);  // the residual after the last layer
  return tr;
}

FloatTensor run_stack(std::span<const QuantizedLayer* const> layers, const FloatTensor& input, SsmInputMode mode,
                      const std::function<void(int, const LayerTrace&)>& observe) {
  StackCursor cur(layers, mode);
  cur.start(input);
  while (cur.layer() < static_cast<int>(layers.size())) {
    const int i = cur.layer();
    const LayerTrace tr = cur.next();
    if (observe) observe(i, tr);
  }
  return cur.residual();
}

}  // namespace mambahw
