// Fuzz target: the YAML config loader with its includes (model:, scheme:,
// numerics:, study: entries) and the technology-table loader with its base:
// chain. The input is up to a few files (fuzz_target.hpp, split_files): the
// first is top.yaml, read as a run config and as a technology table. Every
// input must load or give a ConfigError; any other exception is a finding.
#include "fuzz_target.hpp"

#include "mambahw/config/config.hpp"
#include "mambahw/config/tech.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mambahw;
  static const fuzz::Scratch dir("config");
  dir.clear();
  for (const fuzz::NamedFile& f : fuzz::split_files({reinterpret_cast<const char*>(data), size}, "top.yaml"))
    dir.write(f.name, f.bytes);
  try {
    (void)load_config(dir.path() / "top.yaml");
  } catch (const ConfigError&) {
  } catch (const std::exception& e) {
    fuzz::unexpected("load_config", e);
  }
  try {
    (void)load_tech(dir.path() / "top.yaml");
  } catch (const ConfigError&) {
  } catch (const std::exception& e) {
    fuzz::unexpected("load_tech", e);
  }
  return 0;
}
