// Shared by the fuzz targets (docs/fuzzing.md): the libFuzzer entry point,
// a private scratch directory per process, inputs that carry several files,
// and the one way a target reports a finding (abort, so that libFuzzer and
// the standalone driver both record the input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace mambahw::fuzz {

// A directory of this process's own (mkdtemp under TMPDIR), removed at exit.
class Scratch {
 public:
  explicit Scratch(const std::string& target);
  ~Scratch();
  const std::filesystem::path& path() const { return dir_; }
  void clear() const;  // removes every entry
  void write(const std::string& name, std::string_view bytes) const;

 private:
  std::filesystem::path dir_;
};

// An input holding several files: the first section is `first_name`; each
// line "#@ NAME" (NAME: 1-40 characters of [A-Za-z0-9_.-], not starting with
// '.') starts the next. '#' makes the marker a comment in YAML, so a config
// seed stays a config while the fuzzer mutates it.
struct NamedFile {
  std::string name, bytes;
};
std::vector<NamedFile> split_files(std::string_view input, const std::string& first_name);
std::string join_files(const std::vector<NamedFile>& files);  // the inverse (for seeds)

// A finding: prints the target, what happened and the exception, then aborts.
[[noreturn]] void finding(const char* target, const std::string& what);
[[noreturn]] void unexpected(const char* target, const std::exception& e);

}  // namespace mambahw::fuzz
