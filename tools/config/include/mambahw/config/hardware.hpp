// Parsing the `hardware:` section into mambahw/cost/hardware_config.hpp.
#pragma once

#include "mambahw/config/yaml_reader.hpp"
#include "mambahw/cost/hardware_config.hpp"

namespace mambahw {

HardwareConfig parse_hardware(YamlMap& h);

}  // namespace mambahw
