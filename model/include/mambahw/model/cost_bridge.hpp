// The model's event counts in the cost model's terms: each count attributed
// to the unit that performed it (docs/architecture.md lists the event names).
#pragma once

#include "mambahw/cost/events.hpp"
#include "mambahw/model/accelerator.hpp"

namespace mambahw::model {

cost::EventCounts to_cost_events(const LayerReport& r, const System& c);

}  // namespace mambahw::model
