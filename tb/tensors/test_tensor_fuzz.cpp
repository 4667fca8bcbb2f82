// Fuzz-style tests of the tensor readers: valid .npy, .npz and safetensors
// images cut at every length and mutated at random (bytes flipped, header
// numbers overwritten with huge values, bytes inserted and deleted). Every
// mutant must either parse into a consistent tensor or give a
// TensorFileError: no other exception, no crash (this binary is built with
// AddressSanitizer and UBSan), and no single allocation larger than the
// image can back (operator new is counted). MAMBAHW_FUZZ_ITERATIONS sets the
// mutants per image (default 10000; the `fuzz` label runs 1000000).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "mambahw/tensors/tensor_file.hpp"

namespace {
std::atomic<std::size_t> g_largest{0};
std::atomic<bool> g_counting{false};
}  // namespace

namespace {
void note(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    std::size_t cur = g_largest.load();
    while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {}
  }
}
void* counted(std::size_t n) {
  note(n);
  return std::malloc(n ? n : 1);
}
void* counted(std::size_t n, std::align_val_t a) {
  note(n);
  const std::size_t al = static_cast<std::size_t>(a);
  return std::aligned_alloc(al, (n + al - 1) / al * al);
}
}  // namespace

// Every form of operator new counted, every delete through free().
void* operator new(std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace mambahw::tensors;

int iterations() {
  const char* e = std::getenv("MAMBAHW_FUZZ_ITERATIONS");
  return e ? std::atoi(e) : 10000;
}

using Parser = TensorMap (*)(std::span<const std::byte>);

TensorMap as_map(StoredTensor t) { return {{"x", std::move(t)}}; }
TensorMap npy_parser(std::span<const std::byte> b) { return as_map(parse_npy(b, "fuzz.npy")); }
TensorMap npz_parser(std::span<const std::byte> b) { return parse_npz(b, "fuzz.npz"); }
TensorMap st_parser(std::span<const std::byte> b) { return parse_safetensors(b, "fuzz.safetensors"); }

struct Outcome {
  int parsed = 0, refused = 0;
};

// One mutant through the parser: a consistent result or a TensorFileError.
void check(Parser parse, const std::vector<std::byte>& img, Outcome& o, const char* what) {
  g_largest = 0;
  g_counting = true;
  try {
    const TensorMap m = parse(img);
    g_counting = false;
    for (const auto& [name, t] : m) {
      ASSERT_EQ(static_cast<std::int64_t>(t.bytes.size()), t.count() * static_cast<std::int64_t>(dtype_size(t.dtype))) << what;
    }
    ++o.parsed;
  } catch (const TensorFileError&) {
    g_counting = false;
    ++o.refused;
  } catch (const std::exception& e) {
    g_counting = false;
    FAIL() << what << ": unexpected exception " << typeid(e).name() << ": " << e.what();
  }
  // Nothing allocated beyond what the image's bytes can back (plus small bookkeeping).
  EXPECT_LE(g_largest.load(), 2 * img.size() + 65536) << what;
}

void fuzz(Parser parse, const std::vector<std::byte>& good, const char* what) {
  Outcome o;
  check(parse, good, o, what);
  ASSERT_EQ(o.parsed, 1) << what << ": the unmutated image must parse";
  for (std::size_t n = 0; n < good.size(); ++n) {  // every truncation
    const std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    check(parse, cut, o, what);
  }
  std::mt19937_64 rng(12345);
  const int iters = iterations();
  for (int i = 0; i < iters; ++i) {
    std::vector<std::byte> m = good;
    const int kind = static_cast<int>(rng() % 4);
    const std::size_t at = rng() % m.size();
    if (kind == 0) {  // flip 1-8 bytes, mostly in the header
      for (int k = 1 + static_cast<int>(rng() % 8); k > 0; --k)
        m[(rng() % 2 ? rng() % std::min<std::size_t>(m.size(), 160) : rng() % m.size())] ^= std::byte(1 + rng() % 255);
    } else if (kind == 1) {  // a huge number written somewhere (lengths, offsets, sizes)
      const std::uint64_t v = rng() % 2 ? ~std::uint64_t{0} >> (rng() % 64) : rng();
      std::memcpy(m.data() + at, &v, std::min<std::size_t>(8, m.size() - at));
    } else if (kind == 2) {  // insert bytes
      m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), 1 + rng() % 16, std::byte(rng() % 256));
    } else {  // delete bytes
      m.erase(m.begin() + static_cast<std::ptrdiff_t>(at),
              m.begin() + static_cast<std::ptrdiff_t>(std::min(m.size(), at + 1 + rng() % 16)));
    }
    check(parse, m, o, what);
    if (::testing::Test::HasFatalFailure()) return;
  }
  ::testing::Test::RecordProperty(std::string(what) + "_refused", o.refused);
  EXPECT_GT(o.refused, 0);
}

TensorMap sample() {
  TensorMap m;
  std::vector<float> f(48);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.5f - 3.0f;
  m["w"] = stored_floats(f, {4, 12});
  m["codes"] = stored_int8(std::vector<std::int8_t>{1, -2, 3, -4, 5, -6, 7}, {7});
  m["h"] = stored_fp16(std::vector<std::uint16_t>{0x3C00, 0xC000, 0x7BFF}, {3, 1});
  return m;
}

TEST(TensorFuzz, Npy) { fuzz(npy_parser, npy_image(sample().at("w")), "npy"); }

TEST(TensorFuzz, NpyFortranOrder) {
  std::string dict = "{'descr': '<f2', 'fortran_order': True, 'shape': (2, 3, 2), }";
  while ((10 + dict.size() + 1) % 64) dict += ' ';
  dict += '\n';
  std::string img = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) + '\0' + dict + std::string(24, '\x3c');
  std::vector<std::byte> b(img.size());
  std::memcpy(b.data(), img.data(), img.size());
  fuzz(npy_parser, b, "npy_fortran");
}

TEST(TensorFuzz, Npz) { fuzz(npz_parser, npz_image(sample()), "npz"); }

TEST(TensorFuzz, Safetensors) { fuzz(st_parser, safetensors_image(sample(), {{"format", "pt"}}), "safetensors"); }

}  // namespace
