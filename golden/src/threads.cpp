#include "mambahw/golden/threads.hpp"

#include <omp.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>

namespace mambahw {

namespace {
// Set before the first parallel region: one level of parallelism (a kernel
// called from inside a parallel tile runs serially on that thread), so the
// thread count never multiplies.
int init_levels() {
  omp_set_max_active_levels(1);
  return 0;
}
const int kInitLevels = init_levels();
}  // namespace

int hardware_threads() { return omp_get_num_procs() > 0 ? omp_get_num_procs() : 1; }

void set_threads(int n) {
  if (n < 0) throw std::invalid_argument("threads: the count must be 0 (all cores) or more");
  (void)kInitLevels;
  omp_set_num_threads(n == 0 ? hardware_threads() : n);
}

int threads() { return omp_get_max_threads(); }

void parallel_for(std::size_t n, const std::function<void(std::size_t)>& body) {
  if (n == 0) return;
  if (n == 1 || threads() == 1 || omp_in_parallel()) {
    for (std::size_t i = 0; i < n; ++i) body(i);
    return;
  }
  std::exception_ptr error;
  std::once_flag first;
  std::atomic<bool> failed{false};
  const auto count = static_cast<long long>(n);
#pragma omp parallel for schedule(dynamic, 1)
  for (long long i = 0; i < count; ++i) {
    if (failed.load(std::memory_order_relaxed)) continue;
    try {
      body(static_cast<std::size_t>(i));
    } catch (...) {
      std::call_once(first, [&] { error = std::current_exception(); });
      failed = true;
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace mambahw
