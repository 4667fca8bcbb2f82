// DRAM: one channel, bandwidth-limited, fixed latency, requests served in
// order (TLM-2.0 loosely timed target). Tensors live in address regions
// (DramMap) so that every byte moved is accounted to a named tensor.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/model/sc.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw::model {

// Address regions of named tensors.
class DramMap {
 public:
  std::uint64_t allocate(const std::string& tensor, std::uint64_t bytes);
  const std::string& tensor_at(std::uint64_t address) const;
  // The tensor [address, address + bytes) lies in; std::out_of_range if the
  // access leaves the tensor's region (a layout bug, never silently spread
  // over two tensors).
  const std::string& tensor_of(std::uint64_t address, std::uint64_t bytes) const;
  std::uint64_t bytes(const std::string& tensor) const { return regions_.at(tensor).bytes; }
  std::uint64_t base(const std::string& tensor) const { return regions_.at(tensor).base; }

 private:
  struct Region {
    std::uint64_t base, bytes;
  };
  std::map<std::string, Region> regions_;
  std::map<std::uint64_t, std::string> by_base_;
  std::uint64_t next_ = 0;
};

struct DramTraffic {
  std::int64_t read_bytes = 0, write_bytes = 0, requests = 0;
};

class DramChannel : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<DramChannel> socket;  // every unit binds here

  DramChannel(sc_core::sc_module_name name, const HardwareConfig& hw, const DramMap& map);

  const std::map<std::string, DramTraffic>& traffic() const { return traffic_; }
  DramTraffic total() const;
  Cycles busy_cycles() const { return busy_cycles_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);

  sc_core::sc_time period_;
  double bytes_per_cycle_;
  int latency_cycles_;
  const DramMap& map_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  Cycles busy_cycles_ = 0;
  std::map<std::string, DramTraffic> traffic_;
};

// Issues one read or write of `bytes` at `address` through an initiator
// socket and returns the time from now at which the data has arrived (read)
// or has been written (write). Loosely timed: the caller decides whether to wait.
template <class Socket>
sc_core::sc_time dram_access(Socket& s, bool write, std::uint64_t address, std::int64_t bytes) {
  tlm::tlm_generic_payload t;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(address);
  t.set_data_ptr(nullptr);  // timing-only transaction: the model moves data itself
  t.set_data_length(static_cast<unsigned>(bytes));
  t.set_streaming_width(static_cast<unsigned>(bytes));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  s->b_transport(t, delay);
  return delay;
}

// The same, counted into a unit's DRAM byte counters. A zero-byte access
// moves nothing and takes no time.
template <class Socket>
sc_core::sc_time dram_access(Socket& s, bool write, std::uint64_t address, std::int64_t bytes,
                             cost::UnitCounters& counters) {
  if (bytes <= 0) return sc_core::SC_ZERO_TIME;
  counters[write ? cost::Counter::kDramWriteBytes : cost::Counter::kDramReadBytes] += bytes;
  return dram_access(s, write, address, bytes);
}

}  // namespace mambahw::model
