#include "mambahw/cost/hardware_config.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mambahw {

int HardwareConfig::dram_latency_cycles() const {
  return checked_cycles(dram.latency_ns / cycle_ns(), "hardware.dram.latency_ns / cycle time");
}

int checked_cycles(double x, std::string_view what) {
  const double c = std::ceil(x - 1e-9);
  if (!(c >= 0 && c <= static_cast<double>(std::numeric_limits<int>::max())))
    throw std::range_error(std::string(what) + " = " + std::to_string(x) + " cycles is out of range [0, 2^31)");
  return static_cast<int>(c);
}

}  // namespace mambahw
