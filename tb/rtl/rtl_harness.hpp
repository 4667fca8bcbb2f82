// Drives a Verilated block with a valid/ready stream, one stimulus tuple per
// transaction, and compares every response word with the golden model
// (the vector block's respond()). Blocks plug in through an adapter with
// drive(model, stimulus) and sample(model, response).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <verilated.h>
#include <verilated_fst_c.h>

#include "mambahw/studies/synthetic.hpp"
#include "mambahw/verif/blocks.hpp"

namespace mambahw::rtl_tb {

// One context for every model of the process, so coverage accumulates.
VerilatedContext& context();

// Keeps a finished model alive until the process exits: its coverage
// counters stay registered in the context until main writes them.
void retire(std::shared_ptr<void> model);

// Whether an assertion of the models (--assert, the bound protocol checker)
// failed since the last call; clears the flag. Assertion failures print
// their name, file and line and do not abort (fatalOnError is off).
bool assertions_failed();

struct Mismatch {
  std::uint64_t index = 0;
  std::vector<std::uint64_t> stim, want, got;
};

struct StreamResult {
  std::uint64_t transactions = 0, cycles = 0, mismatches = 0;
  std::vector<Mismatch> first;  // up to 5
};

std::string describe(const verif::VectorBlock& b, const Mismatch& m);

// Adapter requirements (A):
//   static void drive(V&, std::span<const std::uint64_t> stim);   // data inputs
//   static void sample(const V&, std::span<std::uint64_t> resp);   // data outputs
//   static void configure(V&) (optional, via init callback)
template <class V, class A>
class Stream {
 public:
  Stream(const verif::VectorBlock& block, std::function<void(V&)> init = {},
         double stall_probability = 0.0, std::uint64_t seed = 1)
      : block_(block), init_(std::move(init)), stall_p_(stall_probability), rng_(seed) {
    model_ = std::make_unique<V>(&context(), "dut");
    reset(*model_);
  }
  ~Stream() { retire(std::shared_ptr<V>(std::move(model_))); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Optional FST trace of this stream (all cycles).
  void trace(const std::string& path) {
    context().traceEverOn(true);
    fst_ = std::make_unique<VerilatedFstC>();
    model_->trace(fst_.get(), 99);
    fst_->open(path.c_str());
  }

  void push(std::span<const std::uint64_t> stim) {
    Pending p;
    p.stim.assign(stim.begin(), stim.end());
    p.want.resize(block_.response_ports());
    block_.respond(stim, p.want);
    p.index = result_.transactions++;
    A::drive(*model_, stim);
    model_->valid_i = 1;
    pending_.push_back(std::move(p));
    bool accepted = false;
    while (!accepted) accepted = cycle();
    model_->valid_i = 0;
  }

  StreamResult finish() {
    for (int guard = 0; !pending_.empty() || in_flight_ > 0; ++guard) {
      cycle();
      if (guard > 100000) {
        std::fprintf(stderr, "rtl_tb: %zu transactions never came out\n", pending_.size());
        result_.mismatches += pending_.size();
        break;
      }
    }
    if (fst_) fst_->close();
    if (assertions_failed()) {
      std::fprintf(stderr, "rtl_tb: an RTL assertion failed during this stream (the %%Error lines above)\n");
      ++result_.mismatches;
    }
    return result_;
  }

  V& model() { return *model_; }
  std::uint64_t cycles() const { return result_.cycles; }

 private:
  struct Pending {
    std::uint64_t index;
    std::vector<std::uint64_t> stim, want;
  };

  void reset(V& m) {
    m.clk_i = 0;
    m.rst_ni = 0;
    m.valid_i = 0;
    m.ready_i = 1;
    if (init_) init_(m);
    m.eval();
    m.clk_i = 1;
    m.eval();
    m.rst_ni = 1;
    m.clk_i = 0;
    m.eval();
  }

  // One clock cycle; returns whether the input was accepted at its edge.
  bool cycle() {
    V& m = *model_;
    m.ready_i = (stall_p_ > 0.0 && rng_.uniform() < stall_p_) ? 0 : 1;
    m.clk_i = 0;
    m.eval();
    if (fst_) fst_->dump(static_cast<std::uint64_t>(2 * result_.cycles));
    if (m.valid_o && m.ready_i) take_output();
    const bool accepted = m.valid_i && m.ready_o;
    if (accepted) ++in_flight_;
    m.clk_i = 1;
    m.eval();
    if (fst_) fst_->dump(static_cast<std::uint64_t>(2 * result_.cycles + 1));
    ++result_.cycles;
    return accepted;
  }

  void take_output() {
    --in_flight_;
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    std::vector<std::uint64_t> got(p.want.size());
    A::sample(*model_, got);
    if (got == p.want) return;
    ++result_.mismatches;
    if (result_.first.size() < 5) result_.first.push_back({p.index, p.stim, p.want, got});
  }

  const verif::VectorBlock& block_;
  std::function<void(V&)> init_;
  double stall_p_;
  Rng rng_;
  std::unique_ptr<V> model_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::deque<Pending> pending_;
  std::int64_t in_flight_ = 0;
  StreamResult result_;
};

// Runs every stimulus a generator emits through a fresh stream.
template <class V, class A>
StreamResult run_block(const verif::VectorBlock& b, const std::function<void(const verif::Emit&)>& gen,
                       std::function<void(V&)> init = {}, double stall = 0.0, std::uint64_t seed = 1) {
  Stream<V, A> s(b, init, stall, seed);
  if (const char* fst = std::getenv("MAMBAHW_FST_ALL")) s.trace(fst);
  gen([&](std::span<const std::uint64_t> stim) { s.push(stim); });
  return s.finish();
}

// The seed of random streams: MAMBAHW_SEED if set, else `fallback`; printed.
std::uint64_t test_seed(std::uint64_t fallback);

}  // namespace mambahw::rtl_tb
