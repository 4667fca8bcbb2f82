// .npz: a zip archive of <name>.npy members (numpy.savez stores them,
// numpy.savez_compressed deflates them), read and written with libzip.
// A member's declared size is checked against what its compressed bytes can
// hold before a buffer is allocated, and libzip checks every CRC.
#include <cstring>
#include <memory>

#include <zip.h>

#include "byte_source.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::tensors {

namespace {

// Deflate cannot expand by more than about 1032:1.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct ZipError {
  zip_error_t e;
  ZipError() { zip_error_init(&e); }
  ~ZipError() { zip_error_fini(&e); }
  std::string text() { return zip_error_strerror(&e); }
};

TensorMap read_archive(zip_source_t* source, std::uint64_t archive_size, const std::string& name) {
  ZipError err;
  zip_t* z = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &err.e);
  if (!z) {
    zip_source_free(source);
    throw TensorFileError(name + ": not a valid .npz (zip) archive: " + err.text());
  }
  const std::unique_ptr<zip_t, decltype(&zip_discard)> guard(z, &zip_discard);
  auto fail = [&](const std::string& what) -> void { throw TensorFileError(name + ": " + what); };
  TensorMap out;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0) fail(std::string("member ") + std::to_string(i) + ": " + zip_strerror(z));
    const std::string member = st.name ? st.name : "";
    if (member.size() < 5 || member.compare(member.size() - 4, 4, ".npy") != 0)
      fail("member '" + member + "' is not a .npy array");
    const std::string key = member.substr(0, member.size() - 4);
    if (out.count(key)) fail("member '" + member + "' appears twice");
    const bool stored = st.comp_method == ZIP_CM_STORE;
    if (st.comp_size > archive_size ||
        (stored ? st.size != st.comp_size : st.size > st.comp_size * kMaxDeflateRatio + 1024))
      fail("member '" + member + "' claims " + std::to_string(st.size) + " bytes from " + std::to_string(st.comp_size) +
           " compressed bytes (corrupt archive)");
    std::vector<std::byte> image(static_cast<std::size_t>(st.size));
    zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    if (!f) fail("member '" + member + "': " + zip_strerror(z));
    std::size_t done = 0;
    zip_int64_t r = 0;
    std::byte probe[1];
    while (done < image.size() && (r = zip_fread(f, image.data() + done, image.size() - done)) > 0) done += static_cast<std::size_t>(r);
    if (r >= 0 && done == image.size()) r = zip_fread(f, probe, 1);  // must be the end; this also checks the CRC
    const std::string why = r < 0 ? zip_file_strerror(f) : "";
    zip_fclose(f);
    if (r < 0) fail("member '" + member + "': " + why);
    if (done != image.size() || r != 0) fail("member '" + member + "': its size does not match the archive's directory");
    out.emplace(key, parse_npy(image, name + ": " + member));
  }
  return out;
}

}  // namespace

TensorMap read_npz(const std::filesystem::path& file) {
  const detail::FileSource probe(file);  // a clear error for a missing or special file
  ZipError err;
  zip_source_t* s = zip_source_file_create(file.c_str(), 0, -1, &err.e);
  if (!s) throw TensorFileError(file.string() + ": " + err.text());
  return read_archive(s, probe.size(), file.string());
}

TensorMap parse_npz(std::span<const std::byte> image, const std::string& name) {
  ZipError err;
  zip_source_t* s = zip_source_buffer_create(image.data(), image.size(), 0, &err.e);
  if (!s) throw TensorFileError(name + ": " + err.text());
  return read_archive(s, image.size(), name);
}

std::vector<std::byte> npz_image(const TensorMap& tensors) {
  if (tensors.empty()) {  // libzip writes nothing for an empty archive; numpy.savez() writes the bare end record
    std::vector<std::byte> eocd(22, std::byte{0});
    const unsigned char sig[4] = {0x50, 0x4B, 0x05, 0x06};
    std::memcpy(eocd.data(), sig, 4);
    return eocd;
  }
  ZipError err;
  zip_source_t* buf = zip_source_buffer_create(nullptr, 0, 0, &err.e);
  if (!buf) throw TensorFileError("npz: " + err.text());
  zip_source_keep(buf);
  const std::unique_ptr<zip_source_t, decltype(&zip_source_free)> buf_guard(buf, &zip_source_free);
  zip_t* z = zip_open_from_source(buf, ZIP_TRUNCATE, &err.e);
  if (!z) throw TensorFileError("npz: " + err.text());
  std::vector<std::vector<std::byte>> images;  // libzip reads them at zip_close
  images.reserve(tensors.size());
  auto fail = [&](const std::string& what) {
    const std::string msg = "npz: " + what + ": " + zip_strerror(z);
    zip_discard(z);
    throw TensorFileError(msg);
  };
  for (const auto& [name, t] : tensors) {
    if (const std::string why = tensor_name_problem(name); !why.empty()) {
      zip_discard(z);
      throw TensorFileError("npz: " + why);
    }
    images.push_back(npy_image(t));
    zip_source_t* m = zip_source_buffer(z, images.back().data(), images.back().size(), 0);
    if (!m) fail(name);
    const zip_int64_t idx = zip_file_add(z, (name + ".npy").c_str(), m, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(m);
      fail(name);
    }
    // Stored, as numpy.savez writes; a fixed time stamp keeps the archive reproducible.
    if (zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(z, static_cast<zip_uint64_t>(idx), 315532800 + 86400, 0) != 0)
      fail(name);
  }
  if (zip_close(z) != 0) fail("writing the archive");
  zip_stat_t st;
  if (zip_source_stat(buf, &st) != 0 || zip_source_open(buf) != 0) throw TensorFileError("npz: reading back the archive");
  std::vector<std::byte> out(static_cast<std::size_t>(st.size));
  const zip_int64_t r = zip_source_read(buf, out.data(), out.size());
  zip_source_close(buf);
  if (r != static_cast<zip_int64_t>(out.size())) throw TensorFileError("npz: reading back the archive");
  return out;
}

void write_npz(const std::filesystem::path& file, const TensorMap& tensors) {
  write_file_atomically(file, npz_image(tensors));
}

}  // namespace mambahw::tensors
