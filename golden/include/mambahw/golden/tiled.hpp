// The whole-tensor kernels of the layer by independent channel tiles, on
// threads() threads (threads.hpp). Each tile calls the kernel itself on its
// channels' rows, so every element is the kernel's own value and the results
// are bit-identical to one call on the whole tensor, for any thread count
// (channels never interact: the conv is depthwise; the scans' recurrences
// and their y = C.h reductions are per channel; Mamba2's heads read only
// their group's B and C). The tiles are fixed by the shapes.
#pragma once

#include <span>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/ssm.hpp"

namespace mambahw {

// Channels per tile of the Mamba1 scan and the conv (a multiple of every
// lane width of the vector paths). mamba2_ssm needs no wrapper: it runs its
// heads on the threads itself, with B and C dequantized once (ssm.hpp).
inline constexpr int kChannelTile = 64;

// mamba1_selective_scan(u, s, p), by tiles of kChannelTile channels.
FloatTensor mamba1_selective_scan_tiled(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p);

// y = conv1d_silu(x, layer, order, np); codes = quantize_per_channel(y, scales, np), by channel tiles.
void conv1d_silu_quantize_tiled(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order, const NumericsPolicy& np,
                                std::span<const float> scales, FloatTensor& y, Int8Tensor& codes);

}  // namespace mambahw
