#include "mambahw/cost/hardware_config.hpp"

#include <cmath>

namespace mambahw {

int HardwareConfig::dram_latency_cycles() const {
  return static_cast<int>(std::ceil(dram.latency_ns / cycle_ns() - 1e-9));
}

}  // namespace mambahw
