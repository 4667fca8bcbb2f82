// The section parsers behind load_config (config.hpp), for configs that
// embed a section and for tests.
#pragma once

#include "mambahw/config/config.hpp"
#include "mambahw/config/yaml_reader.hpp"

namespace mambahw {

// load_config with fields replaced by dotted path (yaml_reader.hpp,
// ConfigOverride): a sweep point. An override no parser reads is an error
// naming its path and where it came from.
Config load_config(const std::filesystem::path& file, const ConfigOverrides& overrides);

// Section parsers, reusable by later sections and tests.
ModelShape parse_model(YamlMap& m);
QuantScheme parse_scheme(YamlMap& s, const ModelShape& model);
RunSettings parse_run(YamlMap& r);
LayerNumerics parse_layer_numerics(YamlMap& l, LayerNumerics defaults, const ModelShape& model);

}  // namespace mambahw
