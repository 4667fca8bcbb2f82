// Loading technology tables (configs/tech/*.yaml) into mambahw/cost/tech_table.hpp.
#pragma once

#include <filesystem>

#include "mambahw/config/yaml_reader.hpp"
#include "mambahw/cost/tech_table.hpp"

namespace mambahw {

// Loads a table file, resolving `base:` chains relative to each file and,
// where a base is not there, among the shipped tables (shipped_tech_dir()).
TechTable load_tech(const std::filesystem::path& file);
// configs/tech of the source tree this library was built from.
std::filesystem::path shipped_tech_dir();
// Parses a table's mapping. With `base`, every entry is optional and replaces
// the base's entry; without, every entry is required.
TechTable parse_tech(YamlMap& t, const TechTable* base);

}  // namespace mambahw
