// Reading the GPU reference files under tb/data (the Hadamard kernel rows,
// the sm90 unit samples, the Quamba kernel cases): whole-file reads and the
// SHA-256 their manifests record, so a damaged file fails its test loudly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mambahw::tb {

// The file's bytes (empty if it cannot be read).
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::vector<std::uint8_t>& data);

}  // namespace mambahw::tb
