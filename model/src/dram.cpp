#include "mambahw/model/dram.hpp"

#include <cstring>
#include <stdexcept>

namespace mambahw::model {

using sc_core::sc_time;

std::uint64_t DramMap::allocate(const std::string& tensor, std::uint64_t bytes) {
  if (regions_.count(tensor)) return regions_[tensor].base;
  const std::uint64_t base = next_;
  regions_[tensor] = {base, bytes};
  by_base_[base] = tensor;
  next_ += (bytes + 4095) / 4096 * 4096 + 4096;  // page-aligned, with a guard page
  return base;
}

const std::string& DramMap::tensor_at(std::uint64_t address) const {
  auto it = by_base_.upper_bound(address);
  if (it == by_base_.begin()) throw std::out_of_range("DRAM address below every tensor");
  --it;
  const Region& r = regions_.at(it->second);
  if (address >= r.base + r.bytes)
    throw std::out_of_range("DRAM address " + std::to_string(address) + " outside every tensor (after '" + it->second +
                            "', " + std::to_string(r.bytes) + " bytes at " + std::to_string(r.base) + ")");
  return it->second;
}

const std::string& DramMap::tensor_of(std::uint64_t address, std::uint64_t bytes) const {
  const std::string& name = tensor_at(address);
  const Region& r = regions_.at(name);
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

void DramChannel::move_data(tlm::tlm_generic_payload& t) {
  std::uint8_t* p = t.get_data_ptr();
  if (!p) throw std::logic_error("DRAM transaction without a payload");
  const std::uint64_t bytes = t.get_data_length();
  DramStride* s = nullptr;
  t.get_extension(s);
  const std::uint64_t row = s ? s->row_bytes : bytes, stride = s ? s->stride : bytes;
  if (row == 0 || bytes % row != 0) throw std::logic_error("DRAM 2-D transfer: length not a multiple of the row");
  for (std::uint64_t r = 0; r < bytes / row; ++r) {
    const std::uint64_t a = t.get_address() + r * stride;
    (void)map_.tensor_of(a, row);  // every row inside one tensor's region
    std::uint8_t* m = mem_.data() + a;
    if (t.is_write()) std::memcpy(m, p + r * row, row);
    else std::memcpy(p + r * row, m, row);
  }
}

unsigned DramChannel::transport_dbg(int /*initiator*/, tlm::tlm_generic_payload& t) {
  move_data(t);
  return t.get_data_length();
}

void DramChannel::b_transport(int /*initiator*/, tlm::tlm_generic_payload& t, sc_time& delay) {
  const std::int64_t bytes = t.get_data_length();
  const Cycles transfer = dram_transfer_cycles(bytes, bytes_per_cycle_);
  const sc_time issue = sc_core::sc_time_stamp() + delay;
  const sc_time start = issue > busy_until_ ? issue : busy_until_;
  busy_until_ = start + static_cast<double>(transfer) * period_;
  busy_cycles_ += transfer;
  DramTraffic& tr = traffic_[map_.tensor_of(t.get_address(), static_cast<std::uint64_t>(bytes))];
  move_data(t);
  const bool write = t.is_write();
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
