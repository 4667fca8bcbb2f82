#include "mambahw/cost/events.hpp"

#include <algorithm>

namespace mambahw::cost {

std::string_view to_string(Unit u) {
  switch (u) {
    case Unit::kGemm: return "gemm";
    case Unit::kConv: return "conv";
    case Unit::kQuantizer: return "quantizer";
    case Unit::kLookup: return "lookup";
    case Unit::kDequant: return "dequant";
    case Unit::kSsmCore: return "ssm_core";
    case Unit::kHadamard: return "hadamard";
  }
  return "?";
}

std::string_view to_string(Category c) {
  switch (c) {
    case Category::kGemm: return "gemm";
    case Category::kConv: return "conv";
    case Category::kQuantizer: return "quantizer";
    case Category::kLookup: return "lookup";
    case Category::kDequant: return "dequant";
    case Category::kSsmCore: return "ssm_core";
    case Category::kHadamard: return "hadamard";
    case Category::kExpSoftplus: return "exp_softplus";
    case Category::kSram: return "sram";
    case Category::kDram: return "dram";
  }
  return "?";
}

namespace {
// One table drives names, field access and +=.
struct Field {
  std::string_view name;
  std::int64_t OpCounts::*member;
};
constexpr std::array<Field, 14> kFields{{
    {"mac_int4", &OpCounts::mac_int4},
    {"mac_int8", &OpCounts::mac_int8},
    {"add_int32", &OpCounts::add_int32},
    {"fp32_add", &OpCounts::fp32_add},
    {"fp32_mul", &OpCounts::fp32_mul},
    {"fp32_fma", &OpCounts::fp32_fma},
    {"fp32_div", &OpCounts::fp32_div},
    {"exp", &OpCounts::exp},
    {"softplus", &OpCounts::softplus},
    {"compare", &OpCounts::compare},
    {"gate", &OpCounts::gate},
    {"register_bits", &OpCounts::register_bits},
    {"dram_read_bytes", &OpCounts::dram_read_bytes},
    {"dram_write_bytes", &OpCounts::dram_write_bytes},
}};
}  // namespace

OpCounts& OpCounts::operator+=(const OpCounts& o) {
  for (const Field& f : kFields) this->*f.member += o.*f.member;
  return *this;
}

const std::vector<std::string_view>& op_count_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const Field& f : kFields) v.push_back(f.name);
    return v;
  }();
  return names;
}

std::int64_t* op_count_field(OpCounts& c, std::string_view name) {
  for (const Field& f : kFields)
    if (f.name == name) return &(c.*f.member);
  return nullptr;
}

std::int64_t op_count_value(const OpCounts& c, std::string_view name) {
  for (const Field& f : kFields)
    if (f.name == name) return c.*f.member;
  return 0;
}

OpCounts EventCounts::total() const {
  OpCounts t;
  for (const OpCounts& u : units) t += u;
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
  if (total().compare == 0) compare_bits = o.compare_bits;
  for (std::size_t i = 0; i < units.size(); ++i) units[i] += o.units[i];
  for (const SramTraffic& s : o.sram) add_sram(s);
  tokens += o.tokens;
  return *this;
}

EventCounts EventCounts::scaled(std::int64_t k) const {
  EventCounts e = *this;
  for (OpCounts& u : e.units)
    for (const Field& f : kFields) u.*f.member *= k;
  for (SramTraffic& s : e.sram) {
    s.reads *= static_cast<double>(k);
    s.writes *= static_cast<double>(k);
  }
  return e;
}

bool add_named(EventCounts& e, Unit u, std::string_view name, std::int64_t n) {
  if (name == "conv_mac_int8") name = "mac_int8";
  if (name == "requant" || name == "dequant") name = "fp32_mul";
  std::int64_t* f = op_count_field(e.at(u), name);
  if (!f) return false;
  *f += n;
  return true;
}

}  // namespace mambahw::cost
