#include "mambahw/cost/events.hpp"

#include <algorithm>

namespace mambahw::cost {

namespace {
// Order of the counters' measures, by Counter value.
constexpr std::array<std::string_view, kNumCounters> kMeasure{
    "MAC", "MAC", "op", "op", "op", "op", "op", "op", "op", "op", "op", "op", "bit",
    "evaluation", "evaluation", "lookup", "selection", "step", "bit", "bit", "bit", "bit", "byte", "byte"};

// DatapathOp and the op counters share an order; this fails to compile if
// either enum is reordered without the other.
static_assert(static_cast<int>(Counter::kFp32Add) + static_cast<int>(DatapathOp::kTableBit) ==
              static_cast<int>(Counter::kTableBit));
static_assert(kNumDatapathOps == 11);
}  // namespace

std::string_view measure_of(Counter c) { return kMeasure[static_cast<std::size_t>(c)]; }

Counter counter_of(DatapathOp op) {
  return static_cast<Counter>(static_cast<int>(Counter::kFp32Add) + static_cast<int>(op));
}

Category category_of(Unit u) { return static_cast<Category>(static_cast<int>(u)); }

UnitCounters& UnitCounters::operator+=(const UnitCounters& o) {
  for (std::size_t i = 0; i < n.size(); ++i) n[i] += o.n[i];
  return *this;
}

UnitCounters UnitCounters::scaled(std::int64_t k) const {
  UnitCounters c = *this;
  for (auto& v : c.n) v *= k;
  return c;
}

// n x end overflows 64 bits for long runs; GCC's and Clang's 128-bit integer
// (an extension: __extension__ keeps -Wpedantic quiet) holds the product exactly.
__extension__ typedef __int128 wide_product;

std::int64_t UnitCounters::share_of(std::int64_t n, std::int64_t begin, std::int64_t end, std::int64_t total) {
  if (total <= 0) return 0;
  const auto v = static_cast<wide_product>(n);
  return static_cast<std::int64_t>(v * end / total - v * begin / total);
}

UnitCounters UnitCounters::share(std::int64_t begin, std::int64_t end, std::int64_t total) const {
  UnitCounters c;
  for (std::size_t i = 0; i < n.size(); ++i) c.n[i] = share_of(n[i], begin, end, total);
  return c;
}

UnitCounters counters_of(const Work& w) {
  UnitCounters c;
  c[Counter::kMacInt8] = w.mac_int8;
  c[Counter::kMacInt4] = w.mac_int4;
  for (std::size_t i = 0; i < kNumDatapathOps; ++i) {
    const auto op = static_cast<DatapathOp>(i);
    c[counter_of(op)] = w.ops[op];
  }
  c[Counter::kExp] = w.exp;
  c[Counter::kSoftplus] = w.softplus;
  c[Counter::kLookup] = w.lookups;
  c[Counter::kMuxSelect] = w.mux_selects;
  c[Counter::kSsmStep] = w.steps;
  return c;
}

UnitCounters EventCounts::total() const {
  UnitCounters t;
  for (const UnitCounters& u : units) t += u;
  return t;
}

void EventCounts::add_sram(const SramTraffic& t) {
  auto it = std::find_if(sram.begin(), sram.end(), [&](const SramTraffic& s) { return s.memory == t.memory; });
  if (it == sram.end()) {
    sram.push_back(t);
    return;
  }
  it->reads += t.reads;
  it->writes += t.writes;
}

EventCounts& EventCounts::operator+=(const EventCounts& o) {
  for (std::size_t i = 0; i < units.size(); ++i) units[i] += o.units[i];
  for (const SramTraffic& s : o.sram) add_sram(s);
  tokens += o.tokens;
  return *this;
}

EventCounts EventCounts::scaled(std::int64_t k) const {
  EventCounts e = *this;
  for (UnitCounters& u : e.units) u = u.scaled(k);
  for (SramTraffic& s : e.sram) {
    s.reads *= static_cast<double>(k);
    s.writes *= static_cast<double>(k);
  }
  return e;
}

EventCounts program_events(const LayerProgram& p, std::int64_t tokens) {
  EventCounts e;
  e.tokens = tokens;
  for (std::size_t u = 0; u < kNumUnits; ++u) e.units[u] = counters_of(p.unit_work(static_cast<Unit>(u), tokens));
  for (const OpSpec& op : p.ops) {
    UnitCounters& c = e.at(op.unit);
    for (const auto* names : {&op.inputs, &op.weights})
      for (const std::string& t : *names) c[Counter::kDramReadBytes] += p.tensor(t).bytes(tokens);
    for (const std::string& t : op.outputs) c[Counter::kDramWriteBytes] += p.tensor(t).bytes(tokens);
  }
  return e;
}

}  // namespace mambahw::cost
