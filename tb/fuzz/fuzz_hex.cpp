// Fuzz target: the $readmemh line reader (HexFileReader). The first byte
// picks the word width (1..64), the rest is the file. A second, deliberately
// plain reading of the same bytes (below) decides what the reader must do:
// accept exactly the lines of width/4 hex digits and '\n' whose value fits
// the width, stop at the first other line and name its number. Any
// disagreement is a finding.
#include "fuzz_target.hpp"

#include <optional>
#include <string>

#include "mambahw/verif/hex_file.hpp"

namespace {

struct Expected {
  std::vector<std::uint64_t> words;
  std::optional<std::uint64_t> bad_line;  // 1-based
};

int digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Expected reference(std::string_view text, int width) {
  Expected e;
  const std::size_t digits = static_cast<std::size_t>((width + 3) / 4);
  std::size_t pos = 0;
  for (std::uint64_t line = 1; pos < text.size(); ++line) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos || eol - pos != digits) {
      e.bad_line = line;
      return e;
    }
    std::uint64_t v = 0;
    for (std::size_t i = pos; i < eol; ++i) {
      const int d = digit(text[i]);
      if (d < 0) {
        e.bad_line = line;
        return e;
      }
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    if (width < 64 && v >= (std::uint64_t{1} << width)) {
      e.bad_line = line;
      return e;
    }
    e.words.push_back(v);
    pos = eol + 1;
  }
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mambahw;
  if (size == 0) return 0;
  static const fuzz::Scratch dir("hex");
  const int width = data[0] % 64 + 1;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  dir.write("w.hex", text);
  const Expected want = reference(text, width);
  try {
    verif::HexFileReader r(dir.path() / "w.hex", width);
    std::uint64_t w = 0;
    std::size_t n = 0;
    while (r.next(w)) {
      if (n >= want.words.size() || w != want.words[n])
        fuzz::finding("HexFileReader", "word " + std::to_string(n) + " read as " + std::to_string(w) +
                                           ", the reference reading differs");
      ++n;
    }
    if (n != want.words.size())
      fuzz::finding("HexFileReader", std::to_string(n) + " words read, the reference reads " + std::to_string(want.words.size()));
    if (r.error().empty() != !want.bad_line)
      fuzz::finding("HexFileReader", "error '" + r.error() + "', the reference " +
                                         (want.bad_line ? "refuses line " + std::to_string(*want.bad_line) : "accepts the file"));
    if (want.bad_line && !r.error().starts_with("line " + std::to_string(*want.bad_line) + ":"))
      fuzz::finding("HexFileReader", "error '" + r.error() + "' names another line than " + std::to_string(*want.bad_line));
  } catch (const std::exception& e) {
    fuzz::unexpected("HexFileReader", e);
  }
  return 0;
}
