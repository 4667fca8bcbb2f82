#include "mambahw/model/dram.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace mambahw::model {

using sc_core::sc_time;

std::uint64_t DramMap::allocate(const std::string& tensor, std::uint64_t bytes) {
  if (regions_.count(tensor)) return regions_[tensor].base;
  const std::uint64_t base = next_;
  by_base_[base] = regions_.emplace(tensor, Region{base, bytes}).first;
  next_ += (bytes + 4095) / 4096 * 4096 + 4096;  // page-aligned, with a guard page
  return base;
}

// The region holding `address`, or std::out_of_range naming where it fell.
const std::pair<const std::string, DramMap::Region>& DramMap::region_at(std::uint64_t address) const {
  auto it = by_base_.upper_bound(address);
  if (it == by_base_.begin()) throw std::out_of_range("DRAM address below every tensor");
  const auto& e = *std::prev(it)->second;
  if (address >= e.second.base + e.second.bytes)
    throw std::out_of_range("DRAM address " + std::to_string(address) + " outside every tensor (after '" + e.first +
                            "', " + std::to_string(e.second.bytes) + " bytes at " + std::to_string(e.second.base) + ")");
  return e;
}

const std::string& DramMap::tensor_at(std::uint64_t address) const { return region_at(address).first; }

const std::string& DramMap::tensor_of(std::uint64_t address, std::uint64_t bytes) const {
  const auto& [name, r] = region_at(address);
  if (address + bytes > r.base + r.bytes)
    throw std::out_of_range("DRAM access of " + std::to_string(bytes) + " bytes at offset " +
                            std::to_string(address - r.base) + " leaves tensor '" + name + "' (" +
                            std::to_string(r.bytes) + " bytes)");
  return name;
}

DramChannel::DramChannel(sc_core::sc_module_name name, const HardwareConfig& hw, const DramMap& map)
    : sc_module(name),
      socket("socket"),
      period_(hw.cycle_ns(), sc_core::SC_NS),
      bytes_per_cycle_(hw.dram_bytes_per_cycle()),
      latency_cycles_(hw.dram_latency_cycles()),
      map_(map) {
  socket.register_b_transport(this, &DramChannel::b_transport);
  socket.register_transport_dbg(this, &DramChannel::transport_dbg);
}

void DramChannel::end_of_elaboration() { mem_.assign(static_cast<std::size_t>(map_.end()), 0); }

template <class F>
void DramChannel::for_rows(const tlm::tlm_generic_payload& t, F f) const {
  const std::uint64_t bytes = t.get_data_length();
  DramStride* s = nullptr;
  t.get_extension(s);
  const std::uint64_t row = s ? s->row_bytes : bytes, stride = s ? s->stride : bytes;
  if (row == 0 || bytes % row != 0) throw std::logic_error("DRAM 2-D transfer: length not a multiple of the row");
  for (std::uint64_t r = 0; r < bytes / row; ++r) f(r, t.get_address() + r * stride, row);
}

void DramChannel::move_data(tlm::tlm_generic_payload& t) {
  std::uint8_t* p = t.get_data_ptr();
  if (!p) throw std::logic_error("DRAM transaction without a payload");
  for_rows(t, [&](std::uint64_t r, std::uint64_t a, std::uint64_t row) {
    (void)map_.tensor_of(a, row);  // every row inside one tensor's region
    std::uint8_t* m = mem_.data() + a;
    if (t.is_write()) std::memcpy(m, p + r * row, row);
    else std::memcpy(p + r * row, m, row);
  });
}

void DramChannel::begin_pass(const std::vector<std::string>& produced, const std::vector<std::string>& on_chip) {
  for (const std::string& n : produced) {
    auto& b = board_[n];
    if (!b) b = std::make_unique<Scoreboard>();
    b->written.clear();
  }
  on_chip_.clear();
  for (const std::string& n : on_chip) on_chip_[n] = true;
}

bool DramChannel::written(const std::string& tensor, std::uint64_t begin, std::uint64_t end) const {
  const auto& w = board_.at(tensor)->written;
  auto it = w.upper_bound(begin);  // the first interval starting after begin
  if (it == w.begin()) return false;
  --it;
  return it->first <= begin && it->second >= end;
}

unsigned DramChannel::transport_dbg(int /*initiator*/, tlm::tlm_generic_payload& t) {
  move_data(t);
  return t.get_data_length();
}

void DramChannel::b_transport(int /*initiator*/, tlm::tlm_generic_payload& t, sc_time& delay) {
  const std::int64_t bytes = t.get_data_length();
  const std::string& name = map_.tensor_of(t.get_address(), static_cast<std::uint64_t>(bytes));
  const bool write = t.is_write();
  auto board = board_.find(name);
  if (board != board_.end() && !write) {
    // The pipelined schedule: wait until every byte read has been written in this pass.
    const std::uint64_t base = map_.base(name);
    const sc_time w0 = sc_core::sc_time_stamp();
    for (;;) {
      bool ready = true;
      for_rows(t, [&](std::uint64_t, std::uint64_t a, std::uint64_t row) {
        ready = ready && written(name, a - base, a - base + row);
      });
      if (ready) break;
      sc_core::wait(board->second->update);
    }
    producer_wait_cycles_ += static_cast<Cycles>((sc_core::sc_time_stamp() - w0) / period_ + 0.5);
  }
  DramServed* served = nullptr;
  t.get_extension(served);
  const bool on_chip = on_chip_.count(name) > 0;
  if (served) served->on_chip = on_chip;
  move_data(t);
  if (board != board_.end() && write) {
    const std::uint64_t base = map_.base(name);
    auto& w = board->second->written;
    for_rows(t, [&](std::uint64_t, std::uint64_t a, std::uint64_t row) {
      std::uint64_t b = a - base, e = b + row;
      auto it = w.upper_bound(b);
      if (it != w.begin() && std::prev(it)->second >= b) {
        --it;
        b = it->first;
        e = std::max(e, it->second);
      }
      while (it != w.end() && it->first <= e) {
        e = std::max(e, it->second);
        it = w.erase(it);
      }
      w[b] = e;
    });
    board->second->update.notify(sc_core::SC_ZERO_TIME);
  }
  if (on_chip) {  // the fusion buffer: no DRAM time, no DRAM traffic
    DramTraffic& tr = on_chip_traffic_[name];
    (write ? tr.write_bytes : tr.read_bytes) += bytes;
    ++tr.requests;
    delay = sc_core::SC_ZERO_TIME;
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const Cycles transfer = dram_transfer_cycles(bytes, bytes_per_cycle_);
  const sc_time issue = sc_core::sc_time_stamp() + delay;
  const sc_time start = issue > busy_until_ ? issue : busy_until_;
  busy_until_ = start + static_cast<double>(transfer) * period_;
  busy_cycles_ += transfer;
  DramTraffic& tr = traffic_[name];
  (write ? tr.write_bytes : tr.read_bytes) += bytes;
  ++tr.requests;
  // Reads: data arrive `latency` after the transfer; writes are posted.
  const sc_time done = busy_until_ + (write ? sc_core::SC_ZERO_TIME : static_cast<double>(latency_cycles_) * period_);
  delay = done - sc_core::sc_time_stamp();
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

DramTraffic DramChannel::total() const {
  DramTraffic s;
  for (const auto& [name, t] : traffic_) {
    s.read_bytes += t.read_bytes;
    s.write_bytes += t.write_bytes;
    s.requests += t.requests;
  }
  return s;
}

}  // namespace mambahw::model
