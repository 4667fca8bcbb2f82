// The section parsers behind load_config (config.hpp), for configs that
// embed a section and for tests.
#pragma once

#include "mambahw/config/config.hpp"
#include "mambahw/config/yaml_reader.hpp"

namespace mambahw {

// Section parsers, reusable by later sections and tests.
ModelShape parse_model(YamlMap& m);
QuantScheme parse_scheme(YamlMap& s, const ModelShape& model);
RunSettings parse_run(YamlMap& r);
LayerNumerics parse_layer_numerics(YamlMap& l, LayerNumerics defaults, const ModelShape& model);

}  // namespace mambahw
