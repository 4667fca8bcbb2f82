// Activity of one unit: busy cycles, stalls by cause, and event counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "mambahw/model/timing.hpp"

namespace mambahw::model {

struct UnitStats {
  Cycles busy = 0;                        // cycles doing useful work
  std::map<std::string, Cycles> stalls;   // cause -> cycles waiting
  Cycles stalled() const {
    Cycles s = 0;
    for (const auto& [c, v] : stalls) s += v;
    return s;
  }
};

}  // namespace mambahw::model
