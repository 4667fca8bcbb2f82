// Tensor files as PyTorch and NumPy users exchange them:
//   .npy          one array (NumPy format 1.0/2.0/3.0; C or Fortran order on
//                 read, C order on write)
//   .npz          a zip of .npy members, as numpy.savez writes (stored or deflated)
//   .safetensors  8-byte header length, a JSON header, then the raw data
//   a directory   every *.npy file in it, named by its stem
// Element types: int8, int32, float16, bfloat16 and float32, little-endian.
// Any other type is refused by name (NumPy has no bfloat16, so .npy/.npz
// cannot carry it: use safetensors).
//
// Reading never trusts a header: sizes, offsets and shapes are checked
// against the bytes the file actually has before any buffer is allocated, so
// a corrupt or hostile file gives a TensorFileError ("<file>: <what>") and
// never a crash or an allocation the file cannot back. Writing goes to a
// temporary file in the destination folder, renamed into place when complete.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::tensors {

using Metadata = std::map<std::string, std::string>;  // safetensors "__metadata__"

// ---- files -------------------------------------------------------------------------

StoredTensor read_npy(const std::filesystem::path& file);
TensorMap read_npz(const std::filesystem::path& file);
TensorMap read_safetensors(const std::filesystem::path& file, Metadata* metadata = nullptr);
TensorMap read_npy_directory(const std::filesystem::path& dir);
// Any of the above, by extension (a folder: its .npy files; a .npy file: one
// tensor named by the file's stem).
TensorMap read_tensors(const std::filesystem::path& path);

void write_npy(const std::filesystem::path& file, const StoredTensor& t);
void write_npz(const std::filesystem::path& file, const TensorMap& tensors);
void write_safetensors(const std::filesystem::path& file, const TensorMap& tensors, const Metadata& metadata = {});
// By extension: .npz, .safetensors, or (no extension / an existing folder) a
// folder of <name>.npy files.
void write_tensors(const std::filesystem::path& path, const TensorMap& tensors);

// ---- images in memory (the same parsers; the fuzz tests feed these) ---------------

StoredTensor parse_npy(std::span<const std::byte> image, const std::string& name);
TensorMap parse_npz(std::span<const std::byte> image, const std::string& name);
TensorMap parse_safetensors(std::span<const std::byte> image, const std::string& name, Metadata* metadata = nullptr);

std::vector<std::byte> npy_image(const StoredTensor& t);
std::vector<std::byte> npz_image(const TensorMap& tensors);
std::vector<std::byte> safetensors_image(const TensorMap& tensors, const Metadata& metadata = {});

// "" if `name` can be a tensor's name in every format (and a file name in a
// .npy folder), else why not.
std::string tensor_name_problem(const std::string& name);

// Writes bytes to `file` through a temporary file renamed into place.
void write_file_atomically(const std::filesystem::path& file, std::span<const std::byte> bytes);

}  // namespace mambahw::tensors
