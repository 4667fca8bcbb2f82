// Model shapes: the one place where the dimensions of a Mamba layer, and the
// sizes derived from them, are defined. Everything else (golden layer, SystemC
// model, cost model, exporters) asks a ModelShape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

// A named column range [begin, end) of a projection's output (or of the conv
// channels): the one definition of where x, z, B, C and dt sit.
struct Segment {
  std::string_view name;
  int begin = 0, end = 0;
  int width() const { return end - begin; }
};

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
  // The embedding's rows, and the LM head's outputs: the vocabulary as the
  // checkpoint pads it. 0: not given (the whole-model totals leave the head out).
  int vocab = 0;
  // Mamba1
  int dt_rank = 0;
  // Mamba2
  int headdim = 0;
  int nheads = 0;
  int ngroups = 0;  // SSD (B/C) groups, G

  bool is_mamba2() const { return arch == Arch::kMamba2; }
  // Channels through the depthwise conv: x for Mamba1; x, B, C for Mamba2.
  int conv_channels() const { return conv_segments().back().end; }
  // Channels of the conv output that feed the SSM as its input x (u).
  int ssm_input_channels() const { return d_inner; }
  int bc_channels() const { return is_mamba2() ? ngroups * d_state : 0; }
  int heads_per_group() const { return is_mamba2() ? nheads / ngroups : 0; }
  // in_proj output segments: Mamba1 [x, z]; Mamba2 [z, x, B, C, dt].
  std::vector<Segment> in_proj_segments() const;
  // x_proj output segments (Mamba1 only): [dt, B, C].
  std::vector<Segment> x_proj_segments() const;
  // The depthwise conv's channels: Mamba1 [x]; Mamba2 [x, B, C] (in in_proj's order).
  std::vector<Segment> conv_segments() const;
  int in_proj_out() const { return in_proj_segments().back().end; }
  int x_proj_out() const { return is_mamba2() ? 0 : x_proj_segments().back().end; }
};

// The segment called `name` of `segments`; std::out_of_range naming it if absent.
const Segment& segment(const std::vector<Segment>& segments, std::string_view name);

}  // namespace mambahw
