#include <fmt/core.h>

#include "commands.hpp"
#include "mambahw/config/yaml_reader.hpp"

namespace mambahw::cli {

int guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    fmt::print(stderr, "mambahw: config error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mambahw {}: error: {}\n", command, e.what());
    return 1;
  }
}

}  // namespace mambahw::cli
