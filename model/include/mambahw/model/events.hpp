// Event counts the model accumulates for the cost model (energy = counts x
// per-event energy). Names are stable keys of the `events` JSON object;
// docs/architecture.md lists them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace mambahw::model {

struct Events {
  std::map<std::string, std::int64_t> counts;
  void add(const std::string& name, std::int64_t n) { counts[name] += n; }
  std::int64_t get(const std::string& name) const {
    auto it = counts.find(name);
    return it == counts.end() ? 0 : it->second;
  }
};

}  // namespace mambahw::model
