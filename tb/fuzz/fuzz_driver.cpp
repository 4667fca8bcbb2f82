// The fuzz targets without libFuzzer (the default GCC build, `ctest -L
// fuzz`): every file of the corpus directories given (the seeds and the
// regression inputs) is run once, then `--iterations` mutants of them, made
// by a seeded generator (bit flips, interesting bytes and numbers, inserted,
// deleted, duplicated and spliced ranges, dictionary tokens). Without
// coverage feedback this is a smoke fuzzer; the libFuzzer build
// (MAMBAHW_FUZZ, docs/fuzzing.md) is the real one. A crash or a finding
// writes the input to crash-<target>-<iteration> in the working directory.
//
//   fuzz_X [--iterations N] [--seed S] [--max-len BYTES] DIR|FILE ...
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "fuzz_target.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// The input being run, for the crash handler (written with write(2) only).
const Bytes* g_current = nullptr;
char g_crash_name[256] = "crash-input";

void on_crash(int sig) {
  if (g_current) {
    const int fd = ::open(g_crash_name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      const ssize_t n = ::write(fd, g_current->data(), g_current->size());
      (void)n;
      ::close(fd);
    }
    static const char msg[] = "\nfuzz driver: the input that crashed is in ";
    (void)!::write(2, msg, sizeof msg - 1);
    (void)!::write(2, g_crash_name, std::strlen(g_crash_name));
    (void)!::write(2, "\n", 1);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

const std::vector<std::string>& dictionary() {
  static const std::vector<std::string> d = {
      "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
      "18446744073709551616", "1e300", "-1e300", "5e-324", "1e-45", "3.4028235e38", ".nan", ".inf", "-.inf", "nan",
      "NaN", "Infinity", "0x7fc00000", "0xffffffff", "0x00000001", "null", "true", "false", "[]", "{}", "[", "]", "{",
      "}", ":", ",", "\"", "'", "\n", "\t", "  ", "- ", "---", "...", "&a ", "*a", "<<: *a", "? ", "!!str ", "#", "\\",
      "\\u0000", "\xff", "\xc3\xa9", "/", "../", "/etc/passwd", "/dev/stdin", ".yaml", ".hex", "width_bits",
      "words", "bytes", "sha256", "vectors", "random_count", "corner_classes", "class_ranges", "parameters",
      "code_bits", "scale1", "scale2", "files", "ports", "memories", "block", "format", "base:", "model:",
      "scheme:", "numerics:", "study:", "run:", "hardware:", "d_inner:", "seq_len:", "#@ ", "\x93NUMPY", "PK\x03\x04",
      "<f4", "|i1", "shape", "dtype", "data_offsets", "F32", "BF16", "I8"};
  return d;
}

Bytes mutate(const Bytes& in, const std::vector<Bytes>& corpus, std::mt19937_64& rng, std::uint64_t max_len) {
  Bytes m = in;
  auto pos = [&](std::size_t n) { return n ? static_cast<std::size_t>(rng() % n) : 0; };
  const int ops = 1 + static_cast<int>(rng() % 6);
  for (int k = 0; k < ops; ++k) {
    switch (rng() % 9) {
      case 0:  // flip a bit
        if (!m.empty()) m[pos(m.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1: {  // an interesting byte
        static const std::uint8_t b[] = {0, 1, 0x7f, 0x80, 0xff, '0', '9', 'a', 'f', 'g', '\n', '\r', ' ', '-'};
        if (!m.empty()) m[pos(m.size())] = b[rng() % sizeof b];
        break;
      }
      case 2: {  // insert random bytes
        const std::size_t at = pos(m.size() + 1), n = 1 + rng() % 8;
        for (std::size_t i = 0; i < n; ++i) m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
        break;
      }
      case 3: {  // delete a range
        if (m.empty()) break;
        const std::size_t at = pos(m.size()), n = std::min<std::size_t>(m.size() - at, 1 + rng() % 32);
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(at), m.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
      case 4: {  // duplicate a range
        if (m.empty()) break;
        const std::size_t at = pos(m.size()), n = std::min<std::size_t>(m.size() - at, 1 + rng() % 64);
        const Bytes piece(m.begin() + static_cast<std::ptrdiff_t>(at), m.begin() + static_cast<std::ptrdiff_t>(at + n));
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos(m.size() + 1)), piece.begin(), piece.end());
        break;
      }
      case 5:
      case 6: {  // a dictionary token, inserted or written over
        const std::string& t = dictionary()[rng() % dictionary().size()];
        const std::size_t at = pos(m.size() + 1);
        if (rng() % 2 || at + t.size() > m.size()) m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), t.begin(), t.end());
        else std::copy(t.begin(), t.end(), m.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      }
      case 7: {  // a digit run replaced by another number
        std::size_t at = pos(m.size());
        while (at < m.size() && !(m[at] >= '0' && m[at] <= '9')) ++at;
        std::size_t end = at;
        while (end < m.size() && m[end] >= '0' && m[end] <= '9') ++end;
        const std::string& t = dictionary()[rng() % 10];
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(at), m.begin() + static_cast<std::ptrdiff_t>(end));
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(std::min(at, m.size())), t.begin(), t.end());
        break;
      }
      default: {  // splice with another corpus entry
        const Bytes& o = corpus[rng() % corpus.size()];
        if (o.empty()) break;
        const std::size_t from = pos(o.size()), n = std::min<std::size_t>(o.size() - from, 1 + rng() % 256);
        const std::size_t at = pos(m.size() + 1);
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), o.begin() + static_cast<std::ptrdiff_t>(from),
                 o.begin() + static_cast<std::ptrdiff_t>(from + n));
        break;
      }
    }
  }
  if (m.size() > max_len) m.resize(max_len);
  return m;
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes{std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 10000, seed = 1, max_len = 1 << 16;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--iterations" || a == "--seed" || a == "--max-len") && i + 1 < argc) {
      const std::uint64_t v = std::strtoull(argv[++i], nullptr, 10);
      if (a == "--iterations") iterations = v;
      else if (a == "--seed") seed = v;
      else max_len = v;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "usage: %s [--iterations N] [--seed S] [--max-len BYTES] DIR|FILE ...\n", argv[0]);
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (const char* e = std::getenv("MAMBAHW_FUZZ_ITERATIONS")) iterations = std::strtoull(e, nullptr, 10);
  const std::string target = fs::path(argv[0]).filename().string();
  std::vector<Bytes> corpus;
  for (const fs::path& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(in)) files.push_back(e.path());
      std::sort(files.begin(), files.end());  // the same order on every machine
      for (const fs::path& f : files) corpus.push_back(read_file(f));
    } else if (fs::exists(in, ec)) {
      corpus.push_back(read_file(in));
    } else {
      std::fprintf(stderr, "%s: no such corpus %s\n", target.c_str(), in.c_str());
      return 2;
    }
  }
  if (corpus.empty()) corpus.push_back({});
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);
  std::mt19937_64 rng(seed);
  std::uint64_t runs = 0;
  for (std::size_t i = 0; i < corpus.size(); ++i, ++runs) {
    std::snprintf(g_crash_name, sizeof g_crash_name, "crash-%s-corpus-%zu", target.c_str(), i);
    g_current = &corpus[i];
    LLVMFuzzerTestOneInput(corpus[i].data(), corpus[i].size());
  }
  for (std::uint64_t i = 0; i < iterations; ++i, ++runs) {
    const Bytes m = mutate(corpus[rng() % corpus.size()], corpus, rng, max_len);
    std::snprintf(g_crash_name, sizeof g_crash_name, "crash-%s-seed%llu-%llu", target.c_str(),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(i));
    g_current = &m;
    LLVMFuzzerTestOneInput(m.data(), m.size());
  }
  g_current = nullptr;
  std::printf("%s: %llu inputs (%zu from the corpus, %llu mutants, seed %llu), no finding\n", target.c_str(),
              static_cast<unsigned long long>(runs), corpus.size(), static_cast<unsigned long long>(iterations),
              static_cast<unsigned long long>(seed));
  return 0;
}
