// The machine a benchmark figure was measured on: the CPU's model name and
// the vector extensions the kernels can use (from /proc/cpuinfo), so a
// figure never travels without its machine.
#pragma once

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

}  // namespace mambahw::bench
