// What export writes and verification expects, in one place: the manifest
// formats and the text files derived from a block and its manifest
// (README.md, classes.txt, tb_params.svh). Verification regenerates each
// text file from the manifest and the block rebuilt from it, and compares.
// Internal to the verif library.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mambahw/verif/blocks.hpp"

namespace mambahw::verif {

inline constexpr const char* kFormat = "mambahw-vectors";            // one block
inline constexpr const char* kLayerFormat = "mambahw-layer-vectors";  // one layer's tensors
inline constexpr const char* kSetFormat = "mambahw-vector-set";       // `--block all`: one directory per block
inline constexpr int kFormatVersion = 1;

std::string readme_text(const VectorBlock& b, const nlohmann::json& manifest);
// "<first> <count> <class>" per class range, in file order.
std::string classes_text(const nlohmann::json& class_ranges);
std::string tb_params_text(const VectorBlock& b);

}  // namespace mambahw::verif
