// How many threads the golden model's kernels run on (OpenMP), and the one
// loop every parallel kernel goes through.
//
// Bit-identity for any thread count is by construction: each parallel loop
// splits its work into tiles whose bounds depend only on the shapes (never on
// the thread count), each tile computes its outputs exactly as the serial
// code does, and no floating-point reduction crosses a tile (the only
// cross-tile sums are integer counters, which are exact in any order).
// Threads.LayerBitIdenticalForAnyThreadCount runs whole layers at 1, 2 and 3
// threads and compares every tensor's bit patterns.
//
// The SystemC model's units call only the per-element and per-token
// functions (requant_value, reduce_states, gated_rmsnorm_group,
// hadamard_quantize, ...), which never open a parallel region; the whole-tensor
// kernels that do (run_layer, reference_layer, the GEMMs, the SSM tiles) run
// outside SystemC's coroutines.
#pragma once

#include <cstddef>
#include <functional>

namespace mambahw {

// The cores this process may run on (at least 1).
int hardware_threads();

// Threads for the golden kernels: n >= 1, or 0 for every core (the default).
void set_threads(int n);
int threads();

// Runs body(i) for i in [0, n) on threads() threads. The iterations must be
// independent (each writes its own outputs). An exception from any iteration
// is rethrown here (the first one seen) after the loop.
void parallel_for(std::size_t n, const std::function<void(std::size_t)>& body);

// Sets the thread count for a scope and restores it after (tests, benchmarks).
class ThreadScope {
 public:
  explicit ThreadScope(int n) : saved_(threads()) { set_threads(n); }
  ~ThreadScope() { set_threads(saved_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace mambahw
