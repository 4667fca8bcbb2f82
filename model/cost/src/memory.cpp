#include "mambahw/cost/memory.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/core.h>

namespace mambahw::cost {

namespace {

enum class Quantity { kRead, kWrite, kArea, kAccess, kLeakage };
const char* name_of(Quantity q) {
  switch (q) {
    case Quantity::kRead: return "read energy";
    case Quantity::kWrite: return "write energy";
    case Quantity::kArea: return "area";
    case Quantity::kAccess: return "access time";
    case Quantity::kLeakage: return "leakage";
  }
  return "?";
}

std::optional<double> value_of(const SramPoint& p, Quantity q) {
  switch (q) {
    case Quantity::kRead: return p.read_pj;
    case Quantity::kWrite: return p.write_pj;
    case Quantity::kArea: return p.area_mm2;
    case Quantity::kAccess: return p.access_ns;
    case Quantity::kLeakage: return p.leakage_mw;
  }
  return std::nullopt;
}

void note(std::vector<std::string>& notes, std::string s) {
  if (std::find(notes.begin(), notes.end(), s) == notes.end()) notes.push_back(std::move(s));
}

double log_interp(double c, double c0, double v0, double c1, double v1) {
  const double t = (std::log(c) - std::log(c0)) / (std::log(c1) - std::log(c0));
  return std::exp(std::log(v0) + t * (std::log(v1) - std::log(v0)));
}

// Value of quantity q of one width family (sorted by capacity) at capacity c.
double family_value(const std::vector<const SramPoint*>& fam, Quantity q, double c, int width,
                    std::vector<std::string>& notes) {
  auto v = [&](std::size_t i) { return *value_of(*fam[i], q); };
  if (fam.size() == 1 && c > fam.front()->capacity_bytes) {
    // One macro of this width: tile it (area adds up, an access hits one bank).
    const double n = std::ceil(c / fam.front()->capacity_bytes - 1e-12);
    note(notes, fmt::format("only one {}-bit macro tabulated ({:g} B): {:g} B built from {:g} of them", width,
                            fam.front()->capacity_bytes, c, n));
    return q == Quantity::kArea || q == Quantity::kLeakage ? n * v(0) : v(0);
  }
  if (fam.size() == 1 || c <= fam.front()->capacity_bytes) {
    if (c < fam.front()->capacity_bytes)
      note(notes, fmt::format("{:g} B is below the smallest tabulated {}-bit macro ({:g} B): its {} is used",
                              c, width, fam.front()->capacity_bytes, name_of(q)));
    return v(0);
  }
  std::size_t i = 0;
  while (i + 2 < fam.size() && c > fam[i + 1]->capacity_bytes) ++i;
  if (c > fam[i + 1]->capacity_bytes)
    note(notes, fmt::format("{} of {:g} B extrapolated beyond the largest {}-bit macro ({:g} B)", name_of(q), c,
                            width, fam[i + 1]->capacity_bytes));
  return log_interp(c, fam[i]->capacity_bytes, v(i), fam[i + 1]->capacity_bytes, v(i + 1));
}

// Quantity q at (bank capacity c, width w) from the table's points.
double table_value(const SramModel& s, Quantity q, double c, int w, std::vector<std::string>& notes) {
  std::map<int, std::vector<const SramPoint*>> families;
  for (const SramPoint& p : s.points)
    if (value_of(p, q)) families[p.width_bits].push_back(&p);
  if (families.empty()) throw std::runtime_error(fmt::format("the SRAM table has no point with {}", name_of(q)));
  for (auto& [width, fam] : families)
    std::sort(fam.begin(), fam.end(),
              [](const SramPoint* a, const SramPoint* b) { return a->capacity_bytes < b->capacity_bytes; });
  const bool energy = q == Quantity::kRead || q == Quantity::kWrite;
  auto at = [&](int fw) { return family_value(families.at(fw), q, c, fw, notes); };
  if (families.count(w)) return at(w);
  auto hi = families.lower_bound(w);
  if (hi == families.begin() || hi == families.end()) {
    const int fw = hi == families.end() ? std::prev(hi)->first : hi->first;
    if (energy)
      note(notes, fmt::format("{} of a {}-bit access scaled from {}-bit macros by {}/{}", name_of(q), w, fw, w, fw));
    else
      note(notes, fmt::format("{} of a {}-bit wide macro taken from the {}-bit macros", name_of(q), w, fw));
    return energy ? at(fw) * w / fw : at(fw);
  }
  const auto lo = std::prev(hi);
  const double t = static_cast<double>(w - lo->first) / (hi->first - lo->first);
  return at(lo->first) + t * (at(hi->first) - at(lo->first));
}

}  // namespace

MemoryCost sram_cost(const TechTable& t, double capacity_bytes, int width_bits) {
  if (!(capacity_bytes > 0) || width_bits < 1)
    throw std::invalid_argument(fmt::format("memory of {} B x {} bits", capacity_bytes, width_bits));
  MemoryCost m;
  m.impl = MemImpl::kSram;
  m.capacity_bytes = capacity_bytes;
  m.width_bits = width_bits;
  const SramModel& s = t.sram;
  if (s.kind == SramKind::kLinear) {
    m.area_mm2 = capacity_bytes / 1024.0 * s.area_mm2_per_kib;
    m.read_pj = width_bits * s.read_pj_per_bit;
    m.write_pj = width_bits * s.write_pj_per_bit;
    m.access_ns = s.access_ns;
    if (s.leakage_mw_per_kib) m.leakage_mw = capacity_bytes / 1024.0 * *s.leakage_mw_per_kib;
    else note(m.notes, "the SRAM model states no leakage: none counted");
    return m;
  }
  double cmax = 0;
  for (const SramPoint& p : s.points) cmax = std::max(cmax, p.capacity_bytes);
  if (capacity_bytes > cmax) {
    m.banks = static_cast<int>(std::ceil(capacity_bytes / cmax - 1e-12));
    note(m.notes, fmt::format("{} banks of {:g} B (largest tabulated macro {:g} B)", m.banks,
                              capacity_bytes / m.banks, cmax));
  }
  const double bank = capacity_bytes / m.banks;
  m.area_mm2 = m.banks * table_value(s, Quantity::kArea, bank, width_bits, m.notes);
  m.read_pj = table_value(s, Quantity::kRead, bank, width_bits, m.notes);
  m.write_pj = table_value(s, Quantity::kWrite, bank, width_bits, m.notes);
  m.access_ns = table_value(s, Quantity::kAccess, bank, width_bits, m.notes);
  if (std::any_of(s.points.begin(), s.points.end(), [](const SramPoint& p) { return p.leakage_mw.has_value(); }))
    m.leakage_mw = m.banks * table_value(s, Quantity::kLeakage, bank, width_bits, m.notes);
  else
    note(m.notes, "the SRAM table states no leakage: none counted");
  return m;
}

MemoryCost flop_cost(const TechTable& t, double capacity_bytes, int width_bits) {
  if (!(capacity_bytes > 0) || width_bits < 1)
    throw std::invalid_argument(fmt::format("memory of {} B x {} bits", capacity_bytes, width_bits));
  MemoryCost m;
  m.impl = MemImpl::kFlops;
  m.capacity_bytes = capacity_bytes;
  m.width_bits = width_bits;
  m.area_mm2 = capacity_bytes * 8.0 * t.reg.area_um2_per_bit * 1e-6;
  m.read_pj = width_bits * t.reg.energy_pj_per_bit;
  m.write_pj = width_bits * t.reg.energy_pj_per_bit;
  m.access_ns = t.reg.access_ns;
  m.leakage_mw = m.area_mm2 * 1e6 * t.leakage.logic_nw_per_um2 * 1e-6;
  return m;
}

MemoryCost memory_cost(const TechTable& t, MemImpl impl, double capacity_bytes, int width_bits) {
  return impl == MemImpl::kSram ? sram_cost(t, capacity_bytes, width_bits) : flop_cost(t, capacity_bytes, width_bits);
}

}  // namespace mambahw::cost
