// The machine a benchmark figure was measured on: the CPU's model name and
// the vector extensions the kernels can use (from /proc/cpuinfo), so a
// figure never travels without its machine; and how fast the core ran around
// a measurement (core_probe_ghz), so a figure taken while a shared core was
// slowed down can be told from a quiet one.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

namespace mambahw::bench {

struct CpuInfo {
  std::string model = "unknown";
  std::string isa = "unknown";  // the listed extensions the host has, space-separated
};

inline CpuInfo cpu_info() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(f, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string();
    if (key == "model name" && model.empty()) model = value;
    if (key == "flags" && flags.empty()) flags = " " + value + " ";
  }
  CpuInfo c;
  if (!model.empty()) c.model = model;
  std::string isa;
  for (const char* x : {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                        "avx512_bf16", "avx512_fp16", "amx_int8"})
    if (flags.find(std::string(" ") + x + " ") != std::string::npos) {
      if (!isa.empty()) isa += ' ';
      isa += x;
    }
  if (!isa.empty()) c.isa = isa;
  return c;
}

// A chain of dependent integer adds for `seconds`, in G adds per second. An
// add waits one cycle for the one before it on every current x86 and Arm
// core, so on a core the process has to itself this is the clock in GHz; on
// a vCPU whose host gives its time (or its core's other hyperthread) to
// someone else, it drops with the time the benchmark lost. (The empty asm
// keeps the compiler from folding the chain; it emits no instruction.)
inline double core_probe_ghz(double seconds = 0.02) {
  using clock = std::chrono::steady_clock;
  std::uint64_t x = 0, adds = 0;
  const auto t0 = clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  auto now = t0;
  do {
    for (int i = 0; i < 512; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {  // eight adds per loop branch: the chain, not the branch, sets the pace
        asm volatile("" : "+r"(x));
        ++x;
      }
    adds += 4096;
    now = clock::now();
  } while (now < end);
  return static_cast<double>(adds) / std::chrono::duration<double, std::nano>(now - t0).count();
}

}  // namespace mambahw::bench
