// Where a reader's bytes come from: a file read with pread (so a large
// tensor goes straight into its own buffer) or an image in memory.
// Internal to the tensors library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::tensors::detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Reads exactly out.size() bytes at `offset` (the caller has checked the range).
  virtual void read(std::uint64_t offset, std::span<std::byte> out) const = 0;
  const std::string& name() const { return name_; }
  [[noreturn]] void fail(const std::string& what) const { throw TensorFileError(name_ + ": " + what); }

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& file);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t size() const override { return size_; }
  void read(std::uint64_t offset, std::span<std::byte> out) const override;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::span<const std::byte> image, std::string name) : ByteSource(std::move(name)), image_(image) {}
  std::uint64_t size() const override { return image_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> out) const override;

 private:
  std::span<const std::byte> image_;
};

StoredTensor read_npy_from(const ByteSource& src);

}  // namespace mambahw::tensors::detail
