// Activity of one unit: busy cycles and stalls by cause (cost::Stall, the
// registered vocabulary).
#pragma once

#include <array>
#include <cstdint>

#include "mambahw/cost/events.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw::model {

struct UnitStats {
  Cycles busy = 0;                                    // cycles doing useful work
  std::array<Cycles, cost::kNumStalls> stalls{};      // by cost::Stall
  Cycles& stall(cost::Stall s) { return stalls[static_cast<std::size_t>(s)]; }
  Cycles stall(cost::Stall s) const { return stalls[static_cast<std::size_t>(s)]; }
  Cycles stalled() const {
    Cycles s = 0;
    for (Cycles v : stalls) s += v;
    return s;
  }
};

}  // namespace mambahw::model
