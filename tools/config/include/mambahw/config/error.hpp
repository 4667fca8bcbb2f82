// The error every configuration problem raises: "file:line:col: field: message".
#pragma once

#include <stdexcept>

namespace mambahw {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mambahw
