// DRAM: one channel, bandwidth-limited, fixed latency, requests served in
// order (TLM-2.0 loosely timed target). Tensors live in address regions
// (DramMap) so that every byte moved is accounted to a named tensor. The
// target holds the bytes: every transaction carries its payload (a write
// stores it, a read returns it), and a 2-D transfer (DramStride, a TLM
// extension) moves rows of a strided block, e.g. a column range of a
// token-major tensor. The host loads and reads tensors through the debug
// transport (no time, no traffic).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

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
  std::uint64_t end() const { return next_; }  // one past the last region (with its guard)
  std::uint64_t base(const std::string& tensor) const { return regions_.at(tensor).base; }

 private:
  struct Region {
    std::uint64_t base, bytes;
  };
  const std::pair<const std::string, Region>& region_at(std::uint64_t address) const;
  std::map<std::string, Region> regions_;
  // By base address, the region's entry (std::map iterators stay valid as
  // regions are added): an access finds its tensor without a name lookup.
  std::map<std::uint64_t, std::map<std::string, Region>::const_iterator> by_base_;
  std::uint64_t next_ = 0;
};

// A 2-D transfer: data_length bytes in rows of `row_bytes`, row r at
// address + r * stride. Without it a transaction is one contiguous block.
struct DramStride : tlm::tlm_extension<DramStride> {
  DramStride() = default;
  DramStride(std::uint64_t row, std::uint64_t step) : row_bytes(row), stride(step) {}
  std::uint64_t row_bytes = 0, stride = 0;
  tlm::tlm_extension_base* clone() const override { return new DramStride(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const DramStride&>(e); }
};

struct DramTraffic {
  std::int64_t read_bytes = 0, write_bytes = 0, requests = 0;
};

// Filled by the target: the access was served by the on-chip fusion buffer
// (the pipelined schedule's intermediates that fit), not by DRAM.
struct DramServed : tlm::tlm_extension<DramServed> {
  bool on_chip = false;
  tlm::tlm_extension_base* clone() const override { return new DramServed(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const DramServed&>(e); }
};

class DramChannel : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<DramChannel> socket;  // every unit binds here

  DramChannel(sc_core::sc_module_name name, const HardwareConfig& hw, const DramMap& map);

  const std::map<std::string, DramTraffic>& traffic() const { return traffic_; }
  DramTraffic total() const;
  Cycles busy_cycles() const { return busy_cycles_; }

  // The pipelined schedule (docs/architecture.md, "Schedules"). A pass over
  // the layer program starts with none of `produced` (the ops' output
  // tensors) written: a read of bytes of those tensors not yet written in
  // this pass waits until they are (the tile-valid scoreboard, how a unit
  // waits for the tile of another unit it reads). `on_chip` tensors live in
  // the fusion buffer: their accesses take no DRAM time and no DRAM traffic
  // (counted in on_chip_traffic()). Without a pass nothing is tracked.
  void begin_pass(const std::vector<std::string>& produced, const std::vector<std::string>& on_chip);
  const std::map<std::string, DramTraffic>& on_chip_traffic() const { return on_chip_traffic_; }
  Cycles producer_wait_cycles() const { return producer_wait_cycles_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned transport_dbg(int initiator, tlm::tlm_generic_payload& t);
  // The memory is sized to the map once every region is allocated.
  void end_of_elaboration() override;
  // Moves the payload of t between the memory and its data pointer.
  void move_data(tlm::tlm_generic_payload& t);
  // The rows [address, address + row) of t (one, or a 2-D transfer's).
  template <class F>
  void for_rows(const tlm::tlm_generic_payload& t, F f) const;
  bool written(const std::string& tensor, std::uint64_t begin, std::uint64_t end) const;

  struct Scoreboard {
    std::map<std::uint64_t, std::uint64_t> written;  // merged [begin, end) byte offsets
    sc_core::sc_event update;
  };
  std::map<std::string, std::unique_ptr<Scoreboard>> board_;
  std::map<std::string, bool> on_chip_;
  std::map<std::string, DramTraffic> on_chip_traffic_;
  Cycles producer_wait_cycles_ = 0;

  sc_core::sc_time period_;
  double bytes_per_cycle_;
  int latency_cycles_;
  const DramMap& map_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  Cycles busy_cycles_ = 0;
  std::map<std::string, DramTraffic> traffic_;
  std::vector<std::uint8_t> mem_;
};

// Issues one read or write of `bytes` at `address` through an initiator
// socket with its payload `data` (bytes long; a read fills it), optionally as
// a 2-D transfer, and returns the time from now at which the data has arrived
// (read) or has been written (write). Loosely timed: the caller decides
// whether to wait.
template <class Socket>
sc_core::sc_time dram_access(Socket& s, bool write, std::uint64_t address, std::int64_t bytes, std::uint8_t* data,
                             const DramStride* stride = nullptr, bool* on_chip = nullptr) {
  tlm::tlm_generic_payload t;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(address);
  t.set_data_ptr(data);
  t.set_data_length(static_cast<unsigned>(bytes));
  t.set_streaming_width(static_cast<unsigned>(bytes));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  DramStride ext;
  if (stride) {
    ext = *stride;
    t.set_extension(&ext);
  }
  DramServed served;
  t.set_extension(&served);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  s->b_transport(t, delay);
  if (stride) t.clear_extension(&ext);
  t.clear_extension(&served);
  if (on_chip) *on_chip = served.on_chip;
  if (t.get_response_status() != tlm::TLM_OK_RESPONSE) throw std::runtime_error("DRAM transaction failed");
  return delay;
}

// The same, counted into a unit's DRAM byte counters (unless the fusion
// buffer served it). A zero-byte access moves nothing and takes no time.
template <class Socket>
sc_core::sc_time dram_access(Socket& s, bool write, std::uint64_t address, std::int64_t bytes, std::uint8_t* data,
                             cost::UnitCounters& counters, const DramStride* stride = nullptr) {
  if (bytes <= 0) return sc_core::SC_ZERO_TIME;
  bool on_chip = false;
  const sc_core::sc_time t = dram_access(s, write, address, bytes, data, stride, &on_chip);
  if (!on_chip) counters[write ? cost::Counter::kDramWriteBytes : cost::Counter::kDramReadBytes] += bytes;
  return t;
}

// Host access without time or traffic (TLM debug transport): loads weights
// and constants before a run and reads tensors back after it.
template <class Socket>
void dram_debug(Socket& s, bool write, std::uint64_t address, std::span<std::uint8_t> data) {
  tlm::tlm_generic_payload t;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(address);
  t.set_data_ptr(data.data());
  t.set_data_length(static_cast<unsigned>(data.size()));
  if (s->transport_dbg(t) != data.size()) throw std::runtime_error("DRAM debug access failed");
}

}  // namespace mambahw::model
