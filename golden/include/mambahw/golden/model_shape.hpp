// Model shapes: the one place where the dimensions of a Mamba layer, and the
// sizes derived from them, are defined. Everything else (golden layer, SystemC
// model, cost model, exporters) asks a ModelShape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

enum class Arch : std::uint8_t { kMamba1, kMamba2 };
template <>
struct EnumNames<Arch> {
  static constexpr std::array<EnumName<Arch>, 2> table{{
      {Arch::kMamba1, "mamba1", "selective scan (Mamba1)"},
      {Arch::kMamba2, "mamba2", "SSD heads (Mamba2)"},
  }};
};

struct ModelShape {
  std::string name;
  Arch arch = Arch::kMamba1;
  int d_model = 0;
  int d_inner = 0;  // expand * d_model
  int d_state = 0;  // N
  int d_conv = 4;   // conv width
  int n_layer = 0;
  // Mamba1
  int dt_rank = 0;
  // Mamba2
  int headdim = 0;
  int nheads = 0;
  int ngroups = 0;  // SSD (B/C) groups, G

  bool is_mamba2() const { return arch == Arch::kMamba2; }
  // Channels through the depthwise conv: x for Mamba1; x, B, C for Mamba2.
  int conv_channels() const { return is_mamba2() ? d_inner + 2 * ngroups * d_state : d_inner; }
  // Channels of the conv output that feed the SSM as its input x (u).
  int ssm_input_channels() const { return d_inner; }
  int bc_channels() const { return is_mamba2() ? ngroups * d_state : 0; }
  int heads_per_group() const { return is_mamba2() ? nheads / ngroups : 0; }
  // in_proj output width: Mamba1 [x, z]; Mamba2 [z, x, B, C, dt].
  int in_proj_out() const {
    return is_mamba2() ? 2 * d_inner + 2 * ngroups * d_state + nheads : 2 * d_inner;
  }
  // x_proj output width (Mamba1 only): [dt, B, C].
  int x_proj_out() const { return is_mamba2() ? 0 : dt_rank + 2 * d_state; }
};

}  // namespace mambahw
