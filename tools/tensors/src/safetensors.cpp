// safetensors: u64 LE header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}}
// (padded with spaces), then the data buffer; offsets are relative to its start.
// As the format requires: no duplicate names, no overlapping tensors, and the
// buffer covered exactly (no holes, nothing after the last tensor).
#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "byte_source.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::tensors {

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the format's own limit

std::optional<DType> dtype_of_code(const std::string& s) {
  if (s == "I8") return DType::kInt8;
  if (s == "I32") return DType::kInt32;
  if (s == "F16") return DType::kFp16;
  if (s == "BF16") return DType::kBf16;
  if (s == "F32") return DType::kFp32;
  return std::nullopt;
}

const char* code_of(DType d) {
  switch (d) {
    case DType::kInt8: return "I8";
    case DType::kInt32: return "I32";
    case DType::kFp16: return "F16";
    case DType::kBf16: return "BF16";
    case DType::kFp32: return "F32";
  }
  return "?";
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin, end;
};

std::uint64_t get_u64(const json& v, const detail::ByteSource& src, const std::string& what) {
  if (!v.is_number_unsigned()) src.fail(what + " must be a non-negative integer");
  return v.get<std::uint64_t>();
}

TensorMap read_from(const detail::ByteSource& src, Metadata* metadata) {
  const std::uint64_t size = src.size();
  if (size < 8) src.fail("not a safetensors file (" + std::to_string(size) + " bytes; truncated?)");
  std::byte pre[8];
  src.read(0, pre);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<std::uint8_t>(pre[i]);
  if (n > kMaxHeader) src.fail("header length " + std::to_string(n) + " exceeds the format's 100 MB limit (not a safetensors file?)");
  if (n > size - 8)
    src.fail("truncated: the header claims " + std::to_string(n) + " bytes, the file has " + std::to_string(size - 8) +
             " after the length");
  std::string text(static_cast<std::size_t>(n), '\0');
  src.read(8, std::as_writable_bytes(std::span(text)));
  if (text.empty() || text[0] != '{') src.fail("the header is not a JSON object");

  std::set<std::string> seen;
  std::string duplicate;
  const json::parser_callback_t on_key = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, on_key);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number no double holds (1e400)
    src.fail(std::string("the header is not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) src.fail("tensor '" + duplicate + "' appears twice in the header");
  if (!header.is_object()) src.fail("the header is not a JSON object");

  const std::uint64_t buffer = size - 8 - n;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) src.fail("__metadata__ must be an object of strings");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) src.fail("__metadata__ '" + k + "' is not a string");
        if (metadata) (*metadata)[k] = s.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object()) src.fail(where + " is not an object");
    for (const auto& [k, _] : v.items())
      if (k != "dtype" && k != "shape" && k != "data_offsets") src.fail(where + ": unexpected field '" + k + "'");
    if (!v.contains("dtype") || !v["dtype"].is_string()) src.fail(where + ": missing dtype");
    const std::string code = v["dtype"].get<std::string>();
    const auto dt = dtype_of_code(code);
    if (!dt) src.fail(where + ": unsupported dtype " + code + " (supported: I8, I32, F16, BF16, F32)");
    if (!v.contains("shape") || !v["shape"].is_array()) src.fail(where + ": missing shape");
    if (v["shape"].size() > 32) src.fail(where + ": more than 32 dimensions");
    Entry e{name, *dt, {}, 0, 0};
    for (const json& d : v["shape"]) {
      const std::uint64_t dim = get_u64(d, src, where + ": a dimension");
      if (dim > (std::uint64_t{1} << 56)) src.fail(where + ": dimension " + std::to_string(dim) + " is absurdly large");
      e.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const json& off = v.contains("data_offsets") ? v["data_offsets"] : json();
    if (!off.is_array() || off.size() != 2) src.fail(where + ": data_offsets must be [begin, end]");
    e.begin = get_u64(off[0], src, where + ": data_offsets");
    e.end = get_u64(off[1], src, where + ": data_offsets");
    if (e.end < e.begin) src.fail(where + ": data_offsets end before they begin");
    if (e.end > buffer)
      src.fail(where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") run past the " +
               std::to_string(buffer) + "-byte data buffer (truncated?)");
    const auto bytes = checked_count(e.shape, dtype_size(e.dtype));
    if (!bytes || static_cast<std::uint64_t>(*bytes) != e.end - e.begin)
      src.fail(where + ": " + code + " shape " + StoredTensor{e.dtype, e.shape, {}}.shape_text() + " does not fill its " +
               std::to_string(e.end - e.begin) + " bytes");
    entries.push_back(std::move(e));
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry* e : by_offset) {
    if (e->begin < covered)
      src.fail("tensors '" + prev->name + "' and '" + e->name + "' overlap in the data buffer");
    if (e->begin > covered)
      src.fail("bytes [" + std::to_string(covered) + ", " + std::to_string(e->begin) +
               ") of the data buffer belong to no tensor");
    covered = e->end;
    if (e->end > e->begin || !prev) prev = e;
  }
  if (covered != buffer)
    src.fail(std::to_string(buffer - covered) + " bytes after the last tensor belong to no tensor");

  TensorMap out;
  for (const Entry& e : entries) {
    StoredTensor t{e.dtype, e.shape, {}};
    t.bytes.resize(static_cast<std::size_t>(e.end - e.begin));
    src.read(8 + n + e.begin, t.bytes);
    out.emplace(e.name, std::move(t));
  }
  return out;
}

}  // namespace

TensorMap read_safetensors(const std::filesystem::path& file, Metadata* metadata) {
  return read_from(detail::FileSource(file), metadata);
}

TensorMap parse_safetensors(std::span<const std::byte> image, const std::string& name, Metadata* metadata) {
  return read_from(detail::MemorySource(image, name), metadata);
}

std::vector<std::byte> safetensors_image(const TensorMap& tensors, const Metadata& metadata) {
  json header = json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (const std::string why = tensor_name_problem(name); !why.empty()) throw TensorFileError("safetensors: " + why);
    if (name == "__metadata__") throw TensorFileError("safetensors: a tensor cannot be named __metadata__");
    if (t.bytes.size() != static_cast<std::size_t>(t.count()) * dtype_size(t.dtype))
      throw TensorFileError("safetensors: tensor '" + name + "' of shape " + t.shape_text() + " holds " +
                            std::to_string(t.bytes.size()) + " bytes");
    header[name] = {{"dtype", code_of(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::vector<std::byte> out(8 + text.size() + offset);
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = std::byte{static_cast<unsigned char>((n >> (8 * i)) & 0xFF)};
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::size_t pos = 8 + text.size();
  for (const auto& [name, t] : tensors) {
    if (!t.bytes.empty()) std::memcpy(out.data() + pos, t.bytes.data(), t.bytes.size());
    pos += t.bytes.size();
  }
  return out;
}

void write_safetensors(const std::filesystem::path& file, const TensorMap& tensors, const Metadata& metadata) {
  write_file_atomically(file, safetensors_image(tensors, metadata));
}

}  // namespace mambahw::tensors
